#!/usr/bin/env bash
# The packages as a user gets them: packs RectifiedSpaAttn.Compute and RectifiedSpaAttn into a local feed
# (artifacts/feed) under a package version no earlier run used (the assemblies keep the solution's version, so the
# build of the test step is reused), then builds the projects under tests/consumer, which reference
# only those packages (their own NuGet.config and Directory.Build.props, outside the solution):
#   - RectifiedSpaAttn.Consumer runs its own [Kernel]s and a Rectified SpaAttn call on the CPU and on every OpenCL
#     device, checked against host computations (one PASS/FAIL line each);
#   - RectifiedSpaAttn.Consumer.Broken has a kernel that allocates and must fail to build with RSA0002.
# It also checks that the packages hold what a user needs, and that docs/write-your-own-kernel.md shows the
# consumer's code exactly. Ends with "consumer: N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
feed="$root/artifacts/feed"
packages="$root/artifacts/consumer-packages"   # the consumer's own package folder: no stale copy from elsewhere
base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
version="${base}-consumer.$(date -u +%Y%m%d%H%M%S)"
passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== consumer: packing version $version into $feed"
rm -rf "$feed" "$packages"/rectifiedspaattn "$packages"/rectifiedspaattn.compute
mkdir -p "$feed"
for project in src/RectifiedSpaAttn.Compute/RectifiedSpaAttn.Compute.csproj src/RectifiedSpaAttn/RectifiedSpaAttn.csproj; do
  if ! dotnet pack "$project" -c Release -p:PackageVersion="$version" -o "$feed" >"$log/pack.txt" 2>&1; then
    cat "$log/pack.txt"; echo "consumer: pack of $project failed"; exit 1
  fi
done

compute="$feed/RectifiedSpaAttn.Compute.$version.nupkg"
library="$feed/RectifiedSpaAttn.$version.nupkg"
contents=$(unzip -l "$compute"; unzip -l "$library")
missing=""
for entry in analyzers/dotnet/cs/RectifiedSpaAttn.Generators.dll lib/net10.0/RectifiedSpaAttn.Compute.dll lib/net10.0/RectifiedSpaAttn.dll README.md; do
  grep -q " $entry\$" <<<"$contents" || missing="$missing $entry"
done
for symbols in "$feed/RectifiedSpaAttn.Compute.$version.snupkg" "$feed/RectifiedSpaAttn.$version.snupkg"; do
  [ -f "$symbols" ] || missing="$missing $(basename "$symbols")"
done
if [ -z "$missing" ]; then pass "packages: compiler in analyzers/dotnet/cs, both assemblies, readmes and symbol packages"
else fail "packages: missing$missing"; fi

restore=(-p:RectifiedSpaAttnVersion="$version" -p:RestorePackagesPath="$packages")

echo "== consumer: a user project with its own kernels (tests/consumer/RectifiedSpaAttn.Consumer)"
if dotnet build tests/consumer/RectifiedSpaAttn.Consumer -c Release "${restore[@]}" >"$log/build.txt" 2>&1; then
  pass "consumer project builds from the packages alone (launchers generated)"
  dotnet tests/consumer/RectifiedSpaAttn.Consumer/bin/Release/net10.0/RectifiedSpaAttn.Consumer.dll | tee "$log/run.txt"
  passed=$((passed + $(grep -c '^PASS ' "$log/run.txt")))
  failed=$((failed + $(grep -c '^FAIL ' "$log/run.txt")))
  grep -q '^consumer program: [0-9]* passed, 0 failed$' "$log/run.txt" || fail "consumer program reported failures or did not finish"
else
  grep -E "error|warning" "$log/build.txt" | sort -u | head -20
  fail "consumer project builds from the packages alone"
fi

echo "== consumer: a kernel that allocates must not build (tests/consumer/RectifiedSpaAttn.Consumer.Broken)"
if dotnet build tests/consumer/RectifiedSpaAttn.Consumer.Broken -c Release "${restore[@]}" >"$log/broken.txt" 2>&1; then
  fail "the broken kernel built: no RSA diagnostic reached the user's build"
elif grep -q "error RSA0002" "$log/broken.txt"; then
  pass "the broken kernel fails to build with $(sed -n 's/.*\(error RSA0002: .*\) \[\/.*/\1/p' "$log/broken.txt" | head -1)"
else
  grep -E "error" "$log/broken.txt" | sort -u | head -10
  fail "the broken kernel failed to build, but without RSA0002"
fi

echo "== consumer: docs/write-your-own-kernel.md shows the consumer's code"
# Each block in the page is preceded by a line <!-- file: PATH -->; the block must equal that file.
doc_ok=1
files=$(sed -n 's/^<!-- file: \(.*\) -->$/\1/p' docs/write-your-own-kernel.md)
[ -n "$files" ] || doc_ok=0
for file in $files; do
  awk -v f="$file" '
    $0 == "<!-- file: " f " -->" { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' docs/write-your-own-kernel.md >"$log/block.txt"
  if ! diff -u "$file" "$log/block.txt" >"$log/diff.txt"; then
    echo "docs/write-your-own-kernel.md differs from $file:"; head -20 "$log/diff.txt"; doc_ok=0
  fi
done
if [ "$doc_ok" -eq 1 ]; then pass "the page shows $(wc -w <<<"$files") consumer files exactly"
else fail "docs/write-your-own-kernel.md does not match the consumer's files"; fi

echo "consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
