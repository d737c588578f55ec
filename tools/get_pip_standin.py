# A stand-in for ansible-test's get-pip download (its host is unreachable here).
# ansible-test looks for ~/.ansible/test/cache/get_pip_<version>.py and runs it with the target
# Python and the pinned pip requirement as arguments; we bootstrap pip with ensurepip, then install
# the pinned pip from the package index. ensurepip sets PIP_CONFIG_FILE=/dev/null, and ansible-test
# strips PIP_CERT: drop both so pip reads the machine's pip.conf (certificates, index) again.
import os
import subprocess
import sys

os.environ.pop("PIP_CONFIG_FILE", None)
os.environ.pop("PIP_NO_INDEX", None)
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if not a.startswith("--")] or ["pip"]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *args])
