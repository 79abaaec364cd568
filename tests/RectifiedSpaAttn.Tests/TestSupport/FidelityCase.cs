using RectifiedSpaAttn.IO;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Tests.TestSupport;

/// <summary>
/// The fidelity case from the authors' own pipeline (`tests/data/fidelity/wan_d64_ff0.safetensors`: q, k, v, their mask and
/// outputs, and their settings in the metadata), read once per test run.
/// </summary>
internal static class FidelityCase
{
    private static readonly Lazy<SafeTensorsFile> s_file = new(() => SafeTensorsFile.Read(TestData.Path("fidelity", "wan_d64_ff0.safetensors")));

    public static SafeTensorsFile File => s_file.Value;

    /// <summary>The pipeline's settings (block size, top_k, p = tau, ff) as options; <paramref name="mask"/> replaces the selection when given.</summary>
    public static RectifiedSpaAttnOptions Options(HostTensor<bool>? mask = null) => new()
    {
        QueryBlockSize = int.Parse(File.Metadata["block_size"]),
        KeyBlockSize = int.Parse(File.Metadata["block_size"]),
        MinCriticalBlocks = int.Parse(File.Metadata["top_k"]),
        Tau = double.Parse(File.Metadata["p"], System.Globalization.CultureInfo.InvariantCulture),
        FirstFrameBlocks = int.Parse(File.Metadata["ff"]),
        CriticalMask = mask,
    };
}
