"""The `frontline` console script: Django's management commands under the project's name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
    from django.core.management import execute_from_command_line

    # After the settings module is named, as everything that may touch Django must be.
    from frontline.core.processes import exit_on_sigterm
    from frontline.operations.processes import yield_cpu_if_job_runner  # reads the settings, as above

    exit_on_sigterm()  # a stopped worker or demo stops what it started, as on Ctrl-C
    yield_cpu_if_job_runner(sys.argv[1:])

    execute_from_command_line(["frontline", *sys.argv[1:]])


if __name__ == "__main__":
    main()
