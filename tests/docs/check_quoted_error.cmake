# SPDX-License-Identifier: MIT
# tests/docs/check_quoted_error.cmake: an example may show a line that does not compile, commented out:
#     // auto oops = x + Tensor<float, Shape<4>>{};  // does not compile
#     //   error: static assertion failed: graft: broadcast: shapes are not compatible (...)
#     //   note: 'graft::broadcast_shapes_compatible<...>::value' evaluates to false
# This script uncomments that line in a copy of SOURCE, compiles the copy (-fsyntax-only, C locale so the
# quotes are ASCII) and fails unless the compile fails AND prints every quoted line. Inputs: CXX, SOURCE,
# INCLUDE (graft's include dir), SYSTEM_INCLUDES and DEFINES ('|'-separated).
file(READ ${SOURCE} text)
if(NOT text MATCHES "\n([ ]*)// ([^\n]*  // does not compile)\n(([ ]*//   [^\n]*\n)+)")
  message(FATAL_ERROR "${SOURCE}: no `// does not compile` line followed by `//   error: ...` lines")
endif()
set(marked "${CMAKE_MATCH_0}")
set(code "${CMAKE_MATCH_2}")
set(quoted "${CMAKE_MATCH_3}")
string(REPLACE "${marked}" "\n${CMAKE_MATCH_1}${code}\n${quoted}" variant "${text}")

get_filename_component(name ${SOURCE} NAME)
set(copy ${CMAKE_CURRENT_BINARY_DIR}/uncommented_${name})
file(WRITE ${copy} "${variant}")
get_filename_component(source_dir ${SOURCE} DIRECTORY)  # the example's own headers (teaching.hpp)
set(flags -std=c++20 -fsyntax-only -fdiagnostics-color=never -I${INCLUDE} -I${source_dir})
string(REPLACE "|" ";" system_includes "${SYSTEM_INCLUDES}")
foreach(dir IN LISTS system_includes)
  list(APPEND flags -isystem ${dir})
endforeach()
string(REPLACE "|" ";" defines "${DEFINES}")
foreach(def IN LISTS defines)
  list(APPEND flags -D${def})
endforeach()
set(ENV{LC_ALL} C)
execute_process(COMMAND ${CXX} ${flags} ${copy} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${copy} compiled, but ${name} says the line `${code}` does not")
endif()
set(diagnostics "${out}${err}")

# Each quoted line (text after `//   `) must appear in the diagnostics.
set(missing "")
while(quoted MATCHES "^[ ]*//   ([^\n]*)\n(.*)$")
  set(line "${CMAKE_MATCH_1}")
  set(quoted "${CMAKE_MATCH_2}")
  string(FIND "${diagnostics}" "${line}" at)
  if(at EQUAL -1)
    string(APPEND missing "  ${line}\n")
  endif()
endwhile()
if(missing)
  message(FATAL_ERROR "${name}: the compiler no longer prints these quoted lines:\n${missing}"
                      "--- what it prints\n${diagnostics}")
endif()
message(STATUS "${name}: the commented-out line fails to compile with the quoted diagnostics")
