# SPDX-License-Identifier: MIT
# graft_set_warnings(target): -Wall -Wextra -Wpedantic -Werror on graft's OWN targets (tests, examples,
# benchmarks). Never applied to the INTERFACE target users link.
function(graft_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()

# graft_own_target(target): warnings, sanitizers and (optionally) -march=native for a target of ours.
function(graft_own_target target)
  graft_set_warnings(${target})
  graft_apply_sanitizers(${target})
  if(GRAFT_NATIVE AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()
