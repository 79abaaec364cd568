#!/usr/bin/env bash
# Dumps the PTX of every built kernel variant, the library's and the test corpus's (rsa kernels [--assembly] --dump),
# and assembles each one with ptxas for sm_80 and sm_90, printing register counts and spills. Any ptxas error, or a
# spill, fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
dotnet run --project src/RectifiedSpaAttn.Cli -c Release -- kernels --dump "$dump" >/dev/null
dotnet build tests/RectifiedSpaAttn.Compute.Corpus -c Release >/dev/null
dotnet run --project src/RectifiedSpaAttn.Cli -c Release --no-build -- kernels --dump "$dump" \
  --assembly tests/RectifiedSpaAttn.Compute.Corpus/bin/Release/net10.0/RectifiedSpaAttn.Compute.Corpus.dll >/dev/null
shopt -s nullglob
files=("$dump"/*.ptx)
[ "${#files[@]}" -gt 0 ] || { echo "no PTX was dumped: the kernel compiler produced nothing" >&2; exit 1; }
failed=0
for arch in sm_80 sm_90; do
  for f in "${files[@]}"; do
    name=$(basename "$f" .ptx)
    if ! log=$(ptxas -arch="$arch" -v -o /dev/null "$f" 2>&1); then
      echo "FAILED $arch $name"; echo "$log"; failed=1; continue
    fi
    regs=$(grep -o 'Used [0-9]* registers' <<<"$log" | head -1 | awk '{print $2}')
    spill=$(grep -o '[0-9]* bytes spill stores' <<<"$log" | head -1 | awk '{print $1}')
    printf '%-6s %-70s registers %4s  spill stores %s\n' "$arch" "$name" "${regs:-?}" "${spill:-0}"
    if [ "${spill:-0}" != "0" ]; then echo "  spills in $name ($arch)"; failed=1; fi
  done
done
echo "assembled ${#files[@]} PTX modules for sm_80 and sm_90"
exit "$failed"
