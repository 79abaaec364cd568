using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using RectifiedSpaAttn.Generators.Backends.Cpu;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>
/// The pipeline's expensive step: runs the PTX, OpenCL C and CPU backends on every variant of one kernel. It reads
/// only a <see cref="LoweredKernel"/>, so it re-runs only for a kernel whose IR or declaration changed.
/// </summary>
internal static class KernelBackends
{
    public static KernelBuild Build(LoweredKernel kernel, CancellationToken cancel)
    {
        var errors = new List<DiagnosticInfo>();
        var variants = new List<VariantBuild>();
        foreach (VariantModel variant in kernel.Variants)
        {
            cancel.ThrowIfCancellationRequested();
            IrKernel ir = variant.Ir.Kernel;
            string ptx = Run("PTX", kernel.Declaration, () => PtxBackend.Emit(ir), errors);
            // A [RequiresHopper] kernel's reason also answers OpenCL: it is built for sm_90a alone.
            string? requirement = HopperRequirement.Of(ir);
            string? openCLReason = requirement ?? OpenCLBackend.UnsupportedReason(ir);
            string openCL = openCLReason is null ? Run("OpenCL C", kernel.Declaration, () => OpenCLBackend.Emit(ir), errors) : "";
            string cpu = Run("the CPU", kernel.Declaration, () => CpuBackend.Emit(ir, "Cpu_" + ir.EntryPoint), errors);
            var parameters = ir.Parameters.Select(p => new ParameterLayout(p.Name, p.Kind.ToString(), IrTypes.ScalarTypeName(p.Type)));
            variants.Add(new VariantBuild(variant.Values, ir.EntryPoint, EquatableArray.From(parameters), ir.StaticSharedBytes,
                ir.LaunchBounds?.MaxGroupSize ?? 0, ptx, openCL, openCLReason, cpu, ir.RequiresHopper ? "sm_90a" : "sm_80", requirement));
        }
        EquatableArray<DiagnosticInfo> diagnostics = DiagnosticInfo.Distinct(errors);
        return new KernelBuild(kernel.Declaration, diagnostics.Count == 0 ? EquatableArray.From(variants) : EquatableArray<VariantBuild>.Empty, diagnostics);
    }

    /// <summary>Runs one backend; its failure becomes an RSA0011 without a position (the kernel's is added when reported).</summary>
    private static string Run(string target, KernelDeclaration kernel, Func<string> emit, List<DiagnosticInfo> errors)
    {
        try
        {
            return emit();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            errors.Add(new DiagnosticInfo(KernelDiagnostics.Backend.Id, EquatableArray.From(new[] { kernel.KernelName, target, e.Message }), null));
            return "";
        }
    }
}
