# SPDX-License-Identifier: MIT
# Run by graft_add_compile_fail: compiles SOURCE and fails (with a clear line) if it compiled.
# On the expected failure it prints the compiler's diagnostics, which the test's regex then checks.
execute_process(COMMAND ${COMPILER} ${FLAGS} ${SOURCE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "COMPILED-BUT-SHOULD-NOT: ${SOURCE} compiled with GRAFT_SHOULD_FAIL defined")
endif()
