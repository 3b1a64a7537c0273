# SPDX-License-Identifier: MIT
# GRAFT_SANITIZE=address,undefined builds graft's own targets with those sanitizers; every finding
# aborts the test (-fno-sanitize-recover=all), as nlohmann/json does.
function(graft_apply_sanitizers target)
  if(GRAFT_SANITIZE)
    # GCC 12 reports false -Wmaybe-uninitialized inside <regex>/<functional> under sanitizers at -O1.
    target_compile_options(${target} PRIVATE -fsanitize=${GRAFT_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer
                           -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=${GRAFT_SANITIZE})
  endif()
endfunction()
