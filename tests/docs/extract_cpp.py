#!/usr/bin/env python3
"""Writes the ```cpp blocks of a Markdown file, in order, to one C++ file, so docs compile."""
import re
import sys

source, target = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as markdown:
    blocks = re.findall(r"^```cpp\n(.*?)^```", markdown.read(), flags=re.S | re.M)
if not blocks:
    sys.exit(f"{source}: no ```cpp blocks")
with open(target, "w", encoding="utf-8") as out:
    out.write(f"// Generated from {source.rsplit('/', 1)[-1]}: its C++ blocks, in order.\n")
    # The examples check their results with assert(): keep it in every build type, also when
    # the build defines NDEBUG (-Db_ndebug=true), so a wrong result fails the test.
    out.write("#undef NDEBUG\n")
    out.write("\n".join(blocks))
