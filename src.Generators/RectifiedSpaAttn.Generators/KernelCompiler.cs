using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RectifiedSpaAttn.Generators.Backends.Cpu;
using RectifiedSpaAttn.Generators.Backends.OpenCL;
using RectifiedSpaAttn.Generators.Backends.Ptx;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Emit;
using RectifiedSpaAttn.Generators.Frontend;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators;

/// <summary>
/// Compiles one <c>[Kernel]</c> method: checks its signature, enumerates its specialisations, lowers each to IR,
/// runs every backend on it, and writes the launcher. Any failure becomes one diagnostic at its source location.
/// </summary>
internal static class KernelCompiler
{
    public static KernelOutput Compile(IMethodSymbol kernel, MethodDeclarationSyntax declaration, SemanticModel model, CancellationToken cancel)
    {
        string hint = HintName(kernel);
        try
        {
            CheckSignature(kernel, declaration);
            IOperation body = model.GetOperation(declaration, cancel)
                ?? throw new KernelCompileException(KernelDiagnostics.KernelSignature, declaration.Identifier.GetLocation(), kernel.Name, "has no body");
            string entryBase = KernelSpecializations.Identifier(kernel.ContainingType.Name + "_" + kernel.Name);
            var builds = new List<VariantBuild>();
            foreach (KernelSpecialization spec in KernelSpecializations.Enumerate(kernel, entryBase))
            {
                cancel.ThrowIfCancellationRequested();
                IrKernel ir = new KernelLowering(model.Compilation).Lower(kernel, body, spec.EntryPoint, spec.TypeArguments, spec.Constants);
                string ptx = RunBackend("PTX", kernel, declaration, () => PtxBackend.Emit(ir));
                string? requirement = HopperRequirement.Of(ir);
                string? openCLReason = requirement ?? OpenCLBackend.UnsupportedReason(ir);
                string openCL = openCLReason is null ? RunBackend("OpenCL C", kernel, declaration, () => OpenCLBackend.Emit(ir)) : "";
                string cpu = RunBackend("the CPU", kernel, declaration, () => CpuBackend.Emit(ir, "Cpu_" + ir.EntryPoint));
                builds.Add(new VariantBuild(spec, ir, ptx, openCL, openCLReason, cpu, requirement));
            }
            string source = LauncherEmitter.Emit(kernel, declaration, builds);
            string launcher = kernel.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + LauncherEmitter.LauncherName(kernel);
            return new KernelOutput(hint, source, launcher, ImmutableArray<Diagnostic>.Empty);
        }
        catch (KernelCompileException e)
        {
            Location location = e.Location is { IsInSource: true } l && l.SourceTree == declaration.SyntaxTree || e.Location is { IsInSource: true }
                ? e.Location! : declaration.Identifier.GetLocation();
            return new KernelOutput(hint, null, null, ImmutableArray.Create(Diagnostic.Create(e.Descriptor, location, e.Arguments)));
        }
    }

    private static string RunBackend(string target, IMethodSymbol kernel, MethodDeclarationSyntax declaration, Func<string> emit)
    {
        try
        {
            return emit();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new KernelCompileException(KernelDiagnostics.Backend, declaration.Identifier.GetLocation(), kernel.Name, target, e.Message);
        }
    }

    private static void CheckSignature(IMethodSymbol kernel, MethodDeclarationSyntax declaration)
    {
        Location where = declaration.Identifier.GetLocation();
        if (!kernel.IsStatic) throw new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "must be static");
        if (!kernel.ReturnsVoid) throw new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "must return void (kernels write their results to views)");
        if (kernel.IsAsync || kernel.IsExtern) throw new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "cannot be async or extern");
        foreach (IParameterSymbol p in kernel.Parameters)
            if (p.RefKind != RefKind.None)
                throw new KernelCompileException(KernelDiagnostics.KernelSignature, p.Locations.FirstOrDefault() ?? where, kernel.Name, $"has the by-ref parameter '{p.Name}'; pass data through ArrayView<T>");
        for (SyntaxNode? n = declaration.Parent; n is not null; n = n.Parent)
        {
            if (n is TypeDeclarationSyntax t && !t.Modifiers.Any(SyntaxKind.PartialKeyword))
                throw new KernelCompileException(KernelDiagnostics.NotPartial, t.Identifier.GetLocation(), t.Identifier.Text, kernel.Name);
            if (n is TypeDeclarationSyntax { TypeParameterList: not null } g)
                throw new KernelCompileException(KernelDiagnostics.KernelSignature, g.Identifier.GetLocation(), kernel.Name, "is declared in a generic type; put kernels in non-generic static classes");
        }
    }

    private static string HintName(IMethodSymbol kernel) =>
        KernelSpecializations.Identifier(kernel.ContainingType.ToDisplayString()) + "." + kernel.Name + "." + kernel.Parameters.Length + ".g.cs";
}
