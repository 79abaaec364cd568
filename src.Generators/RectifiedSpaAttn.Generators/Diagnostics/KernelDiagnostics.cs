using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace RectifiedSpaAttn.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the kernel compiler reports. Each names what is wrong and how to fix it; the location is the
/// C# construct that cannot be compiled for a GPU. Each id has a help page, <c>docs/diagnostics/&lt;id&gt;.md</c> in the
/// repository, that the descriptor's help link names (a path relative to the repository root).
/// </summary>
internal static class KernelDiagnostics
{
    private const string Category = "RectifiedSpaAttn.Kernels";

    /// <summary>Where the help pages live, relative to the repository root.</summary>
    public const string HelpFolder = "docs/diagnostics/";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpFolder + id + ".md");

    public static readonly DiagnosticDescriptor UnsupportedConstruct = Error("RSA0001",
        "Unsupported construct in a kernel",
        "{0} cannot be compiled into a kernel. Hint: {1}");

    public static readonly DiagnosticDescriptor Allocation = Error("RSA0002",
        "Allocation in a kernel",
        "Kernels cannot allocate managed memory ({0}). Hint: use SharedMemory.Allocate<T>(n) for group memory or 'Span<T> x = stackalloc T[n]' with a constant n for a register array.");

    public static readonly DiagnosticDescriptor ReferenceType = Error("RSA0003",
        "Reference type in a kernel",
        "The type '{0}' is a class, interface or other reference type; kernels use only unmanaged value types. Hint: pass data through ArrayView<T> parameters.");

    public static readonly DiagnosticDescriptor Exception = Error("RSA0004",
        "Exception handling in a kernel",
        "Kernels cannot throw or catch exceptions ({0}). Hint: report errors through an output buffer, or validate on the host before launching.");

    public static readonly DiagnosticDescriptor VirtualCall = Error("RSA0005",
        "Virtual or interface call in a kernel",
        "The call to '{0}' is virtual or goes through an interface; kernels can only call static methods whose source is in the compilation. Hint: call a static helper instead.");

    public static readonly DiagnosticDescriptor Recursion = Error("RSA0006",
        "Recursion in a kernel",
        "'{0}' calls itself (directly or through other helpers); kernel helpers are inlined and cannot recurse. Hint: rewrite it as a loop.");

    public static readonly DiagnosticDescriptor DynamicRegisterIndex = Error("RSA0007",
        "Register array indexed by a non-constant",
        "The register array '{0}' is indexed by a value that is not a compile-time constant after specialisation and unrolling. Hint: index it with constants or with the counter of a loop whose bounds are constants (such loops are unrolled), or use shared memory.");

    public static readonly DiagnosticDescriptor KernelSignature = Error("RSA0008",
        "Invalid kernel signature",
        "Kernel '{0}' {1}");

    public static readonly DiagnosticDescriptor Specialization = Error("RSA0009",
        "Invalid specialisation",
        "Kernel '{0}': {1}");

    public static readonly DiagnosticDescriptor NoSource = Error("RSA0010",
        "Call to a method without source",
        "'{0}' has no C# source in this compilation and is not a kernel-language intrinsic, so it cannot be inlined into a kernel. Hint: write the helper as a static method in this project, or use an intrinsic from RectifiedSpaAttn.Compute.");

    public static readonly DiagnosticDescriptor Backend = Error("RSA0011",
        "Backend cannot compile the kernel",
        "Kernel '{0}' cannot be compiled for {1}: {2}");

    public static readonly DiagnosticDescriptor NotPartial = Error("RSA0012",
        "Kernel container is not partial",
        "The type '{0}' holding kernel '{1}' must be declared 'static partial' (and so must every type around it) so the generator can add its launcher");

    public static readonly DiagnosticDescriptor HopperNotDeclared = Error("RSA0013",
        "Hopper intrinsic in a kernel that does not declare Hopper",
        "'{0}' is a Hopper (sm_90a) instruction; mark the kernel [RequiresHopper] so it is built for sm_90a only (OpenCL and other GPUs then refuse it with a clear reason)");

    public static readonly DiagnosticDescriptor StructParameter = Error("RSA0014",
        "Struct kernel parameter that cannot be flattened",
        "Kernel '{0}': the struct parameter '{1}' cannot be passed to a kernel: {2}. Hint: a struct parameter holds only scalars (bool, integers, char, float, double, Half, BFloat16, enums) and structs of them, each readable by the launcher (public or internal); pass buffers as ArrayView<T> parameters of their own.");

    /// <summary>Every descriptor above, by id.</summary>
    public static IReadOnlyDictionary<string, DiagnosticDescriptor> All { get; } = new[]
    {
        UnsupportedConstruct, Allocation, ReferenceType, Exception, VirtualCall, Recursion, DynamicRegisterIndex,
        KernelSignature, Specialization, NoSource, Backend, NotPartial, HopperNotDeclared, StructParameter,
    }.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => All[id];
}

/// <summary>Thrown inside the frontend to abandon a kernel with one diagnostic; the driver reports it.</summary>
internal sealed class KernelCompileException : System.Exception
{
    public KernelCompileException(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
        : base(string.Format(descriptor.MessageFormat.ToString(), arguments))
    {
        Descriptor = descriptor;
        Location = location;
        Arguments = arguments;
    }

    public DiagnosticDescriptor Descriptor { get; }
    public Location? Location { get; }
    public object[] Arguments { get; }
}
