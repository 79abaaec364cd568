using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Cpu;

/// <summary>Describes the host CPU as an accelerator device.</summary>
internal static class CpuDevice
{
    private static readonly Lazy<AcceleratorInfo> s_info = new(Create);

    public static AcceleratorInfo Describe() => s_info.Value;

    private static AcceleratorInfo Create()
    {
        int threads = Environment.ProcessorCount;
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new AcceleratorInfo(
            AcceleratorKind.Cpu,
            index: 0,
            name: $"CPU: {ModelName()} ({threads} threads)",
            memoryBytes: memory,
            warpSize: 32,
            maxSharedMemoryPerGroup: CpuAccelerator.SharedMemoryLimit,
            maxGroupSize: CpuAccelerator.GroupSizeLimit,
            multiprocessorCount: threads);
    }

    private static string ModelName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                        return line[(colon + 1)..].Trim();
                }
            }
            if (Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") is { Length: > 0 } id) return id;
        }
        catch (IOException)
        {
            // The model name is cosmetic.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
