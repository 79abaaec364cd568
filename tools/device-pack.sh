#!/usr/bin/env bash
# Prepares .device/ (git-ignored) for a run on the GPU machine, which has no .NET: this machine's .NET runtime, the
# published device test host and any other project named, and tools/device/on-device.sh. The device test host's
# output holds the test data of tests/data/ as data/, so the device needs nothing else.
#   usage: tools/device-pack.sh [MORE.csproj ...]   then run with carry [".device"] and e.g.
#   source .device/on-device.sh && dotnet .device/RectifiedSpaAttn.DeviceTests/RectifiedSpaAttn.DeviceTests.dll Accelerators
# With no filter it runs every test: on the H100 machine that took more than 150 s (2026-12-06), so give it 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device
runtime=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -f .device/dotnet-rt.tar.xz ] || tar -C "$runtime" -cJf .device/dotnet-rt.tar.xz dotnet host shared/Microsoft.NETCore.App
cp tools/device/on-device.sh .device/on-device.sh
for project in tests/RectifiedSpaAttn.DeviceTests/RectifiedSpaAttn.DeviceTests.csproj "$@"; do
  name=$(basename "$project" .csproj)
  rm -rf ".device/$name"
  dotnet publish "$project" -c Release -o ".device/$name" >/dev/null
  echo "published $name -> .device/$name"
done
test -f .device/RectifiedSpaAttn.DeviceTests/data/fidelity/wan_d64_ff0.safetensors \
  || { echo "the device test host was published without its test data (tests/data/)" >&2; exit 1; }
du -sh .device | sed 's/^/carry size: /'
