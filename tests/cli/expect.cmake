# Helpers of the CLI end-to-end scripts: run a command and check its exit
# status (OUT and ERR are set in the caller), and match its output.
function(expect_run want_rc)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${WORK})
  if(NOT rc EQUAL want_rc)
    message(FATAL_ERROR "${ARGN}\n  exit ${rc}, wanted ${want_rc}\n  stdout: ${out}\n  stderr: ${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
  set(ERR "${err}" PARENT_SCOPE)
endfunction()

function(expect_match text regex what)
  if(NOT "${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${what}: '${regex}' not found in:\n${text}")
  endif()
endfunction()

function(expect_no_match text regex what)
  if("${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${what}: '${regex}' found in:\n${text}")
  endif()
endfunction()
