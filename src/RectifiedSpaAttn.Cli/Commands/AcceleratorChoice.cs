using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// The <c>--accelerator</c> and <c>--device</c> options of <c>demo</c> and <c>run</c>: which device computes attention.
/// <c>reference</c> is the exact fp64 host implementation (no device), for checking.
/// </summary>
internal sealed record AcceleratorChoice(string Kind, int? Device)
{
    public const string Help =
        """
          --accelerator A          cpu, opencl, cuda, best (default: CUDA, else an OpenCL GPU, else the CPU), or
                                   reference (the exact fp64 host implementation, slow, for checking)
          --device N               which device of that kind (the number `rsa devices` shows; default 0)
        """;

    public static AcceleratorChoice Read(ParsedArguments args)
    {
        string kind = (args.GetString("accelerator") ?? "best").ToLowerInvariant();
        if (kind is not ("cpu" or "opencl" or "cuda" or "best" or "reference"))
            throw new UsageException($"--accelerator must be cpu, opencl, cuda, best or reference, got '{kind}'");
        int? device = args.GetInt("device", min: 0);
        if (device is not null && kind == "reference") throw new UsageException("--device does not apply to --accelerator reference");
        return new AcceleratorChoice(kind, device);
    }

    /// <summary>True for the exact host reference (no accelerator is opened).</summary>
    public bool IsReference => Kind == "reference";

    /// <summary>Opens the chosen device in <paramref name="context"/>; null for the reference.</summary>
    /// <exception cref="UsageException">The kind has no device here, or <see cref="Device"/> is out of range (the message says what there is).</exception>
    public Accelerator? Open(Context context)
    {
        if (IsReference) return null;
        if (Kind == "best" && Device is null) return context.CreateBest();
        AcceleratorKind wanted = Kind switch
        {
            "cpu" => AcceleratorKind.Cpu,
            "opencl" => AcceleratorKind.OpenCL,
            "cuda" => AcceleratorKind.Cuda,
            _ => BestKind(context.Devices),
        };
        AcceleratorInfo[] devices = [.. context.Devices.Where(d => d.Kind == wanted)];
        if (devices.Length == 0)
        {
            string why = wanted == AcceleratorKind.Cuda ? Context.CudaUnavailableReason ?? "no device" : Context.OpenCLUnavailableReason ?? "no device";
            throw new UsageException($"--accelerator {Kind}: no {wanted} device here ({why}); `rsa devices` lists what there is");
        }
        int index = Device ?? 0;
        AcceleratorInfo? chosen = devices.FirstOrDefault(d => d.Index == index);
        if (chosen is null)
            throw new UsageException($"--device {index}: the {wanted} devices here are {string.Join(", ", devices.Select(d => $"{d.Index} ({d.Name})"))}");
        return context.CreateAccelerator(chosen);
    }

    /// <summary>
    /// "best" with a device number: the number counts within the kind <see cref="Context.CreateBest"/> would pick, read
    /// from the device list (CUDA if any, else OpenCL if it has a GPU, else the CPU) without opening anything.
    /// </summary>
    private static AcceleratorKind BestKind(IReadOnlyList<AcceleratorInfo> devices)
        => devices.Any(d => d.Kind == AcceleratorKind.Cuda) ? AcceleratorKind.Cuda
            : devices.Any(d => d.Kind == AcceleratorKind.OpenCL && d.IsGpu) ? AcceleratorKind.OpenCL
            : AcceleratorKind.Cpu;
}
