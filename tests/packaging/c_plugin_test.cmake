# packaging.c_plugin: the plain C migration (consumer/migrations/002_tag_notes.c)
# built in this tree and run by the runner against sqlite through the host's
# native handle. First alone, where its SQL fails: the C error reaches the
# user and everything the step did is rolled back. Then after the C++
# migration it depends on: up and down do their work.
#
#   -DRUNNER= -DCPP_DIR= -DC_DIR= -DWORK_DIR= -DSQLITE3=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(conf "${WORK_DIR}/conf.json")
set(db "${WORK_DIR}/notes.db")
lm_write_sqlite_config("${conf}" notes.db "${CPP_DIR}" "${C_DIR}")

# Alone: tags is created, then the INSERT into the missing notes table fails.
lm_run(COMMAND "${RUNNER}" -c "${conf}" -m "${C_DIR}" up EXPECT 1 OUTPUT out ERROR err)
lm_expect_contains("output of the failing C step" "${out}${err}" "no such table: notes")
lm_status("${RUNNER}" "${conf}" status -m "${C_DIR}")
lm_expect_equal("state after the C step failed" "${status_states}" "2:failed-rolled-back")
lm_sql("${SQLITE3}" "${db}" rows "SELECT count(*) FROM sqlite_master WHERE name = 'tags'")
lm_expect_equal("tags table after the rollback" "${rows}" "0")

# With version 1: both apply (2 is retried), then both revert.
lm_run(COMMAND "${RUNNER}" -c "${conf}" up OUTPUT out)
lm_expect_contains("up output" "${out}" "tagging notes from plain C")
lm_status("${RUNNER}" "${conf}" status)
lm_expect_equal("states after up" "${status_states}" "1:applied;2:applied")
lm_sql("${SQLITE3}" "${db}" rows
  "SELECT n.body || ':' || t.tag FROM notes n JOIN tags t ON t.note_id = n.id ORDER BY n.id")
lm_expect_equal("tagged notes after up" "${rows}" "written by C++:plain-c\nwritten by C:plain-c")

lm_run(COMMAND "${RUNNER}" -c "${conf}" down --steps 1)
lm_status("${RUNNER}" "${conf}" status)
lm_expect_equal("states after the C down" "${status_states}" "1:applied;2:pending")
lm_sql("${SQLITE3}" "${db}" rows "SELECT count(*) FROM sqlite_master WHERE name = 'tags'")
lm_expect_equal("tags table after the C down" "${rows}" "0")
lm_sql("${SQLITE3}" "${db}" rows "SELECT body FROM notes")
lm_expect_equal("notes after the C down" "${rows}" "written by C++")
