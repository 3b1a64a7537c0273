# SPDX-License-Identifier: MIT
# graft_add_compile_fail(NAME <name> SOURCE <file> REGEX <regex>)
# Two CTest tests in the Eigen ok/ko-twin form:
#   <name>_ok  compiles <file> as is; it must succeed (proves the file is otherwise valid);
#   <name>_ko  compiles it with -DGRAFT_SHOULD_FAIL; it must FAIL and print <regex> (the shapes named).
# The compiler is called directly (-fsyntax-only), so the tests run in parallel without touching the build.
get_target_property(_graft_eigen_inc Eigen3::Eigen INTERFACE_INCLUDE_DIRECTORIES)
function(graft_add_compile_fail)
  cmake_parse_arguments(CF "" "NAME;SOURCE;REGEX" "" ${ARGN})
  set(_flags -std=c++20 -fsyntax-only -fdiagnostics-color=never -I${PROJECT_SOURCE_DIR}/include)
  foreach(_inc IN LISTS _graft_eigen_inc)
    list(APPEND _flags -isystem ${_inc})
  endforeach()
  if(GRAFT_NO_BLAS)
    list(APPEND _flags -DGRAFT_NO_BLAS)
  endif()
  add_test(NAME compile_fail.${CF_NAME}_ok COMMAND ${CMAKE_CXX_COMPILER} ${_flags} ${CF_SOURCE})
  add_test(NAME compile_fail.${CF_NAME}_ko COMMAND ${CMAKE_COMMAND}
    -DCOMPILER=${CMAKE_CXX_COMPILER} "-DFLAGS=${_flags};-DGRAFT_SHOULD_FAIL" -DSOURCE=${CF_SOURCE}
    -P ${PROJECT_SOURCE_DIR}/cmake/GraftExpectCompileError.cmake)
  set_tests_properties(compile_fail.${CF_NAME}_ok compile_fail.${CF_NAME}_ko PROPERTIES LABELS compile_fail)
  set_tests_properties(compile_fail.${CF_NAME}_ko PROPERTIES PASS_REGULAR_EXPRESSION "${CF_REGEX}")
endfunction()
