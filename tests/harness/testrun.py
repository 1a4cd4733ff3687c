"""The runner every Python integration test file ends with.

  from testrun import run_tests
  if __name__ == "__main__":
      run_tests(globals())              # every test_* function, by name
      run_tests(globals(), last=["test_x"])  # test_x after the others
      run_tests([test_b, test_a])       # exactly these, in this order

Each test is a function that raises (assert) on failure. All of them run,
a failure is printed with its traceback, and the process exits 1 if any
failed. Test names on the command line run only those.
"""
import sys
import traceback


def run_tests(tests, last=(), argv=None):
    if isinstance(tests, dict):
        tests = [f for n, f in sorted(tests.items())
                 if n.startswith("test_") and callable(f)]
    tests = sorted(tests, key=lambda f: f.__name__ in last)  # stable
    only = set((sys.argv if argv is None else argv)[1:])
    unknown = only - set(f.__name__ for f in tests)
    if unknown:
        print("no such test: %s" % ", ".join(sorted(unknown)), flush=True)
        sys.exit(2)
    passed = failed = 0
    for fn in tests:
        if only and fn.__name__ not in only:
            continue
        try:
            fn()
            passed += 1
            print("ok   %s" % fn.__name__, flush=True)
        except Exception:  # noqa: BLE001 - report every failure
            failed += 1
            print("FAIL %s" % fn.__name__, flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
