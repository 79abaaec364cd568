# Sourced on the GPU machine (which has no .NET): unpacks the carried .NET runtime once and puts it on PATH, and lists
# NVIDIA's OpenCL driver beside pocl so the OpenCL tests can pick either (RSA_OPENCL_DEVICE=NVIDIA).
_rsa_device=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -x /opt/dotnet/dotnet ]; then mkdir -p /opt/dotnet && tar -xJf "$_rsa_device/dotnet-rt.tar.xz" -C /opt/dotnet; fi
export DOTNET_ROOT=/opt/dotnet PATH=/opt/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p /tmp/rsa-ocl-vendors
echo libnvidia-opencl.so.1 > /tmp/rsa-ocl-vendors/nvidia.icd
[ -f /etc/OpenCL/vendors/pocl.icd ] && cp /etc/OpenCL/vendors/pocl.icd /tmp/rsa-ocl-vendors/
export OCL_ICD_VENDORS=/tmp/rsa-ocl-vendors
