using RectifiedSpaAttn.Generators.Frontend;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Emit;

/// <summary>One specialisation after every backend ran: the inputs of the launcher emitter.</summary>
internal sealed class VariantBuild
{
    public VariantBuild(KernelSpecialization specialization, IrKernel ir, string ptx, string openCL, string? openCLUnsupportedReason, string cpuMembers,
        string? architectureRequirement = null)
    {
        ArchitectureRequirement = architectureRequirement;
        Specialization = specialization; Ir = ir; Ptx = ptx; OpenCL = openCL; OpenCLUnsupportedReason = openCLUnsupportedReason; CpuMembers = cpuMembers;
    }

    public KernelSpecialization Specialization { get; }
    public IrKernel Ir { get; }
    public string Ptx { get; }
    public string OpenCL { get; }
    public string? OpenCLUnsupportedReason { get; }
    /// <summary>For kernels marked [RequiresHopper]: "needs sm_90a (Hopper): uses ..."; otherwise null.</summary>
    public string? ArchitectureRequirement { get; }
    /// <summary>C# members from the CPU backend; the group function is named <see cref="CpuMethodName"/>.</summary>
    public string CpuMembers { get; }
    public string CpuMethodName => "Cpu_" + Ir.EntryPoint;
}
