using System.Globalization;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Compute.Cuda;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary><c>rsa devices</c>: the accelerators this machine offers, and why a missing backend is missing.</summary>
internal sealed class DevicesCommand : ICommand
{
    public string Name => "devices";

    public string Summary => "list the CUDA, OpenCL and CPU accelerators available here";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string>();

    public string Help =>
        """
        usage: rsa devices

        Lists every accelerator the library can use on this machine: CUDA devices (through the driver, libcuda.so.1 /
        nvcuda.dll), OpenCL devices of every platform (through the ICD loader) and the CPU, with memory, warp size,
        shared memory per group and compute capability. The number in the first column is what --device takes.
        A backend that is not available says why.
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress, Progress.ProgressDisplay display)
    {
        args.ThrowOnUnknown(Name);
        using Context context = Context.Create();
        output.WriteLine("  #  kind     name                                       memory     warp  shared/group  capability  PTX");
        foreach (AcceleratorInfo d in context.Devices)
        {
            string capability = d.ComputeCapability is { } cc ? $"sm_{cc.Major}{cc.Minor}" : d.OpenCLVersion ?? "";
            // The best module kind the CUDA accelerator loads there: sm_90a (Hopper kernels and portable ones) or sm_80.
            string ptx = d.Kind == AcceleratorKind.Cuda ? "  " + (CudaAccelerator.BestPtxTarget(d.ComputeCapability) ?? "none") : "";
            string name = d.PlatformName is { Length: > 0 } p && d.Kind == AcceleratorKind.OpenCL ? $"{d.Name} ({p})" : d.Name;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {d.Index,1}  {d.Kind,-7}  {Truncate(name, 42),-42}  {d.MemoryBytes / (1024.0 * 1024 * 1024),6:F1} GiB  {d.WarpSize,4}  {d.MaxSharedMemoryPerGroup / 1024,9} KiB  {capability,-10}{ptx}"));
        }
        if (!Context.IsCudaAvailable) output.WriteLine($"CUDA: {Context.CudaUnavailableReason}");
        if (!Context.IsOpenCLAvailable) output.WriteLine($"OpenCL: {Context.OpenCLUnavailableReason}");
        return CommandLine.Success;
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
