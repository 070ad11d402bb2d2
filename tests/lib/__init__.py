"""The test support library, one for every test and tool (Python half; the
shell half is lib.sh beside it, which calls this one for ports):

    lib.net       free_port()
    lib.proc      stop_pid(): SIGTERM by PID, bounded wait, then SIGKILL
    lib.ecs       fake ECS container credential / IMDSv2 endpoints
    lib.harness   the s3json process (Service) and the shared emulator handle
    lib.faults    fault-injecting proxy, hanging servers, wait_for, rss_kb
    lib.tap       Python unittest reporting TAP (python3 -m lib.tap ...)
    lib.tapsum    tests/run's exact TAP count of one step's log

Imported as `lib` with tests/ on PYTHONPATH, which the Makefile and tests/run
export: the one place the import path is set (no module edits sys.path)."""
