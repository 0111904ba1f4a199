"""Download one package tarball from the npm registry and check it against its pinned integrity
(the registry's `dist.integrity`, `sha512-BASE64`), without npm: .ci/setup's test-only assets.

    python .ci/fetch_npm.py NAME VERSION INTEGRITY OUT
"""

import base64
import hashlib
import sys
import urllib.request


def main(name: str, version: str, integrity: str, out: str) -> int:
    algorithm, _, expected = integrity.partition("-")
    url = f"https://registry.npmjs.org/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    got = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if got != expected:
        print(
            f"fetch_npm: {name}@{version} from {url} does not match its pinned {algorithm}", file=sys.stderr
        )
        return 1
    with open(out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
