using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Frontend;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Pipeline;

/// <summary>
/// The pipeline's first step, run for every <c>[Kernel]</c> method on every edit: checks the signature, enumerates
/// the specialisations and lowers each to IR. Its result, a <see cref="KernelModel"/>, is plain data that compares by
/// value, so when an edit leaves a kernel's IR as it was, the backends do not run for it again.
/// </summary>
internal static class KernelFrontend
{
    public static KernelModel Lower(GeneratorAttributeSyntaxContext context, CancellationToken cancel) =>
        Lower((IMethodSymbol)context.TargetSymbol, (MethodDeclarationSyntax)context.TargetNode, context.SemanticModel, cancel);

    public static KernelModel Lower(IMethodSymbol kernel, MethodDeclarationSyntax declaration, SemanticModel model, CancellationToken cancel)
    {
        Location anchor = declaration.Identifier.GetLocation();
        var errors = new List<KernelCompileException>(SignatureErrors(kernel, declaration));
        var variants = new List<VariantModel>();
        IOperation? body = model.GetOperation(declaration, cancel);
        if (body is null)
        {
            errors.Add(new KernelCompileException(KernelDiagnostics.KernelSignature, anchor, kernel.Name, "has no body"));
        }
        else
        {
            try
            {
                string entryBase = KernelSpecializations.Identifier(kernel.ContainingType.Name + "_" + kernel.Name);
                foreach (KernelSpecialization spec in KernelSpecializations.Enumerate(kernel, entryBase))
                {
                    cancel.ThrowIfCancellationRequested();
                    var lowering = new KernelLowering(model.Compilation);
                    IrKernel ir = lowering.Lower(kernel, body, spec.EntryPoint, spec.TypeArguments, spec.Constants);
                    errors.AddRange(lowering.Errors);
                    var values = spec.Display.Zip(spec.Selectors, (d, s) => new SpecializationValue(d.Key, d.Value, s.Value));
                    variants.Add(new VariantModel(EquatableArray.From(values), new EquatableIr(ir)));
                }
            }
            catch (KernelCompileException e)
            {
                errors.Add(e);
            }
        }
        EquatableArray<DiagnosticInfo> diagnostics = DiagnosticInfo.Distinct(errors.Select(e => DiagnosticInfo.From(e, anchor)));
        var lowered = new LoweredKernel(Describe(kernel, declaration), diagnostics.Count == 0 ? EquatableArray.From(variants) : EquatableArray<VariantModel>.Empty);
        return new KernelModel(lowered, SourceLocation.From(anchor), diagnostics);
    }

    private static IEnumerable<KernelCompileException> SignatureErrors(IMethodSymbol kernel, MethodDeclarationSyntax declaration)
    {
        Location where = declaration.Identifier.GetLocation();
        if (!kernel.IsStatic) yield return new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "must be static");
        if (!kernel.ReturnsVoid) yield return new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "must return void (kernels write their results to views)");
        if (kernel.IsAsync || kernel.IsExtern) yield return new KernelCompileException(KernelDiagnostics.KernelSignature, where, kernel.Name, "cannot be async or extern");
        foreach (IParameterSymbol p in kernel.Parameters)
            if (p.RefKind != RefKind.None)
                yield return new KernelCompileException(KernelDiagnostics.KernelSignature, p.Locations.FirstOrDefault() ?? where, kernel.Name, $"has the by-ref parameter '{p.Name}'; pass data through ArrayView<T>");
        for (SyntaxNode? n = declaration.Parent; n is not null; n = n.Parent)
        {
            if (n is TypeDeclarationSyntax t && !t.Modifiers.Any(SyntaxKind.PartialKeyword))
                yield return new KernelCompileException(KernelDiagnostics.NotPartial, t.Identifier.GetLocation(), t.Identifier.Text, kernel.Name);
            if (n is TypeDeclarationSyntax { TypeParameterList: not null } g)
                yield return new KernelCompileException(KernelDiagnostics.KernelSignature, g.Identifier.GetLocation(), kernel.Name, "is declared in a generic type; put kernels in non-generic static classes");
        }
    }

    /// <summary>The declaration as text, for the launcher.</summary>
    private static KernelDeclaration Describe(IMethodSymbol kernel, MethodDeclarationSyntax declaration)
    {
        var headers = new List<string>();
        for (SyntaxNode? n = declaration.Parent; n is not null; n = n.Parent)
        {
            if (n is not TypeDeclarationSyntax t) continue;
            string keyword = t is RecordDeclarationSyntax r ? "record " + r.ClassOrStructKeyword.Text : t.Keyword.Text;
            headers.Insert(0, "partial " + keyword.Trim() + " " + t.Identifier.Text + t.TypeParameterList);
        }
        INamespaceSymbol ns = kernel.ContainingType.ContainingNamespace;
        var parameters = kernel.Parameters.Select(p => new KernelParameterInfo(
            p.Name,
            p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            p.GetAttributes().Any(a => TypeMapper.IsComputeType(a.AttributeClass, "ConstantAttribute")),
            ArgumentKind(p.Type),
            StructFields(p.Type)));
        string launcherName = kernel.Name + "Kernel";
        return new KernelDeclaration(
            KernelSpecializations.Identifier(kernel.ContainingType.ToDisplayString()) + "." + kernel.Name + "." + kernel.Parameters.Length + ".g.cs",
            ns.IsGlobalNamespace ? null : ns.ToDisplayString(),
            EquatableArray.From(headers),
            kernel.ContainingType.Name,
            kernel.Name,
            kernel.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + launcherName,
            EquatableArray.From(kernel.TypeParameters.Select(t => t.Name)),
            EquatableArray.From(parameters));
    }

    /// <summary>
    /// The scalars a struct parameter is passed as (the order <see cref="KernelLowering"/> binds them in); null for other
    /// parameters, and empty for a struct that cannot be flattened (its RSA0014 stops the build anyway).
    /// </summary>
    private static EquatableArray<StructFieldArgument>? StructFields(ITypeSymbol type)
    {
        if (TypeMapper.ShapeOf(type) != TypeShape.Struct || TypeMapper.IsComputeType(type, "TensorMap")) return null;
        List<StructLeaf> leaves = StructParameters.Leaves(type, out string? problem);
        return problem is not null ? EquatableArray<StructFieldArgument>.Empty
            : EquatableArray.From(leaves.Select(l => new StructFieldArgument("." + string.Join(".", l.Path), ArgumentKind(l.Type))));
    }

    private static LaunchArgumentKind ArgumentKind(ITypeSymbol type)
    {
        if (TypeMapper.IsArrayView(type)) return LaunchArgumentKind.Buffer;
        if (TypeMapper.IsComputeType(type, "TensorMap")) return LaunchArgumentKind.TensorMap;
        return type.SpecialType switch
        {
            SpecialType.System_Boolean => LaunchArgumentKind.Bool,
            SpecialType.System_Single => LaunchArgumentKind.Single,
            SpecialType.System_Double => LaunchArgumentKind.Double,
            SpecialType.System_Int32 => LaunchArgumentKind.Int32,
            _ when type.Name == "Half" => LaunchArgumentKind.Half,
            _ when type.Name == "BFloat16" => LaunchArgumentKind.BFloat16,
            _ => LaunchArgumentKind.Integer,
        };
    }
}
