# SPDX-License-Identifier: MIT
# tests/docs/run_example.cmake: runs EXE and compares its stdout, byte for byte, with the file EXPECTED.
# The output is also written to ACTUAL (in the test's working directory) so a changed example can be
# inspected with diff and, when the change is intended, copied over examples/expected/.
if(NOT EXISTS ${EXE})
  message(FATAL_ERROR "${EXE} is not built (build the examples before running the docs tests)")
endif()
execute_process(COMMAND ${EXE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(WRITE ${ACTUAL} "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}\n--- stdout\n${out}\n--- stderr\n${err}")
endif()
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  get_filename_component(actual ${ACTUAL} ABSOLUTE)
  find_program(DIFF diff)
  if(DIFF)
    execute_process(COMMAND ${DIFF} -u ${EXPECTED} ${actual} OUTPUT_VARIABLE delta)
  else()
    set(delta "--- expected\n${want}\n--- actual\n${out}")
  endif()
  message(FATAL_ERROR "the output of ${EXE} differs from ${EXPECTED}:\n${delta}\n"
                      "If the change is intended: cp ${actual} ${EXPECTED}")
endif()
message(STATUS "${EXE}: output matches ${EXPECTED}")
