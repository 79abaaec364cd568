#!/usr/bin/env bash
# Prepares .device/ for a run on the GPU machine: the carried .NET runtime, the published device test host and
# benchmarks, and a copy of the shared test data (the device sees only this repository).
#   usage: tools/device-pack.sh            then run with carry [".device"] and e.g.
#   source .device/on-device.sh && RSA_SHARED_DATA=.device/shared dotnet .device/RectifiedSpaAttn.DeviceTests/RectifiedSpaAttn.DeviceTests.dll Accelerators
set -euo pipefail
cd "$(dirname "$0")/.."
../shared/device/pack.sh tests/RectifiedSpaAttn.DeviceTests/RectifiedSpaAttn.DeviceTests.csproj "$@"
rm -rf .device/shared && mkdir -p .device/shared
cp -r ../shared/fidelity ../shared/gilbert .device/shared/
du -sh .device | sed 's/^/carry size: /'
