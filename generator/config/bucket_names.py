"""S3's rules for general purpose bucket names, checked on the names the config produces.

Two buckets are named from the config: the artifact bucket `<bucket_prefix>-<account>-
<region>` in every target region, and the central log bucket `<app>-central-logs-
<account>-<region>` in the home region. A name S3 refuses fails the stack at its first
deployment, so the config is checked against the longest name it can produce.
"""

from __future__ import annotations

import re

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
NAMING_RULES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
MIN_LENGTH, MAX_LENGTH = 3, 63
# "Bucket names can consist only of lowercase letters, numbers, periods (.), and hyphens".
# We allow no periods: "For best compatibility, we recommend that you avoid using periods
# (.) in bucket names" (same page): a dotted name breaks virtual-hosted-style HTTPS, whose
# wildcard certificate covers one label, and S3 Transfer Acceleration.
ALLOWED_CHARACTERS = re.compile(r"^[a-z0-9-]*$")
# "Bucket names must begin and end with a letter or number."
ENDS = re.compile(r"^[a-z0-9](.*[a-z0-9])?$")
# "Bucket names must not start with the prefix ..." (same page).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# "Bucket names must not end with the suffix ..." (same page): -s3alias (access point
# aliases), --ol-s3 (Object Lambda Access Point aliases), .mrap (Multi-Region Access
# Points). --x-s3 (directory buckets) and --table-s3 (table buckets) are the reserved
# suffixes that S3 lists for its other bucket types:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-tables-buckets-naming.html
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def problems(name: str) -> list[str]:
    """What S3 would refuse in `name`, one phrase per broken rule (empty when it is fine)."""
    found: list[str] = []
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        found.append(f"has {len(name)} characters; S3 allows {MIN_LENGTH} to {MAX_LENGTH}")
    if not ALLOWED_CHARACTERS.match(name):
        bad = sorted({c for c in name if not ALLOWED_CHARACTERS.match(c)})
        found.append(
            f"contains {' '.join(repr(c) for c in bad)}; use lowercase letters, digits and "
            "hyphens only (S3 forbids uppercase and underscores, and periods break HTTPS "
            "access to the bucket)"
        )
    if name and not ENDS.match(name):
        found.append("must begin and end with a lowercase letter or a digit")
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            found.append(f"starts with {prefix!r}, a prefix S3 reserves")
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            found.append(f"ends with {suffix!r}, a suffix S3 reserves")
    return found
