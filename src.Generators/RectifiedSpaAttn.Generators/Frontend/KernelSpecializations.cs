using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>One combination of a kernel's <c>[Specialize]</c> values.</summary>
internal sealed class KernelSpecialization
{
    public KernelSpecialization(string entryPoint, List<KeyValuePair<string, string>> display,
        Dictionary<ITypeParameterSymbol, ITypeSymbol> typeArguments, Dictionary<string, IrConst> constants,
        List<KeyValuePair<string, string>> selectors)
    { EntryPoint = entryPoint; Display = display; TypeArguments = typeArguments; Constants = constants; Selectors = selectors; }

    public string EntryPoint { get; }
    /// <summary>Parameter name -> readable value (<c>T=bfloat16</c>, <c>tile=64</c>).</summary>
    public List<KeyValuePair<string, string>> Display { get; }
    public Dictionary<ITypeParameterSymbol, ITypeSymbol> TypeArguments { get; }
    public Dictionary<string, IrConst> Constants { get; }
    /// <summary>Parameter name -> C# expression that the launcher compares with (<c>typeof(float)</c>, <c>64</c>).</summary>
    public List<KeyValuePair<string, string>> Selectors { get; }
}

/// <summary>Reads <c>[Specialize]</c> and <c>[Constant]</c> off a kernel and enumerates the variants to build.</summary>
internal static class KernelSpecializations
{
    private sealed class Axis
    {
        public Axis(string name, List<(string Display, string Selector, object Value)> values) { Name = name; Values = values; }
        public string Name { get; }
        public List<(string Display, string Selector, object Value)> Values { get; }
    }

    public static List<KernelSpecialization> Enumerate(IMethodSymbol kernel, string entryBase)
    {
        Location? where = kernel.Locations.FirstOrDefault();
        var requested = new Dictionary<string, (AttributeData Attribute, List<TypedConstant> Values)>();
        foreach (AttributeData a in kernel.GetAttributes())
        {
            if (!TypeMapper.IsComputeType(a.AttributeClass, "SpecializeAttribute")) continue;
            if (a.ConstructorArguments.Length != 2 || a.ConstructorArguments[0].Value is not string name)
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, "[Specialize] takes a parameter name and its values");
            List<TypedConstant> values = a.ConstructorArguments[1].Kind == TypedConstantKind.Array
                ? a.ConstructorArguments[1].Values.ToList()
                : new List<TypedConstant> { a.ConstructorArguments[1] };
            if (values.Count == 0)
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"[Specialize(\"{name}\")] lists no values");
            if (requested.ContainsKey(name))
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"'{name}' is specialised twice");
            requested[name] = (a, values);
        }

        var axes = new List<Axis>();
        foreach (ITypeParameterSymbol tp in kernel.TypeParameters)
        {
            if (!requested.TryGetValue(tp.Name, out var spec))
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"type parameter '{tp.Name}' has no [Specialize(\"{tp.Name}\", typeof(...), ...)]");
            var values = new List<(string, string, object)>();
            foreach (TypedConstant v in spec.Values)
            {
                if (v.Value is not ITypeSymbol type || TypeMapper.MemoryType(type) is not IrType ir)
                    throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"'{tp.Name}' must be specialised with typeof(float), typeof(Half), typeof(BFloat16) or another scalar type");
                values.Add((TypeMapper.Describe(ir), "typeof(" + type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ")", type));
            }
            axes.Add(new Axis(tp.Name, values));
            requested.Remove(tp.Name);
        }
        foreach (IParameterSymbol p in kernel.Parameters)
        {
            bool isConstant = p.GetAttributes().Any(a => TypeMapper.IsComputeType(a.AttributeClass, "ConstantAttribute"));
            if (!isConstant)
            {
                if (requested.ContainsKey(p.Name))
                    throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"parameter '{p.Name}' is specialised but not marked [Constant]");
                continue;
            }
            if (!requested.TryGetValue(p.Name, out var spec))
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"[Constant] parameter '{p.Name}' has no [Specialize(\"{p.Name}\", ...)]");
            if (TypeMapper.MemoryType(p.Type) is not IrType ir || ir is IrType.F16 or IrType.BF16)
                throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"[Constant] parameter '{p.Name}' must have a primitive type");
            var values = new List<(string, string, object)>();
            foreach (TypedConstant v in spec.Values)
            {
                if (v.Value is null || v.Kind != TypedConstantKind.Primitive)
                    throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"'{p.Name}' must be specialised with constants of type {p.Type.ToDisplayString()}");
                string text = System.Convert.ToString(v.Value, CultureInfo.InvariantCulture)!;
                string selector = v.Value is bool b ? (b ? "true" : "false") : v.Value is float f ? f.ToString("R", CultureInfo.InvariantCulture) + "f" : text;
                values.Add((v.Value is bool bb ? (bb ? "true" : "false") : text, selector, v.Value));
            }
            axes.Add(new Axis(p.Name, values));
            requested.Remove(p.Name);
        }
        if (requested.Count > 0)
            throw new KernelCompileException(KernelDiagnostics.Specialization, where, kernel.Name, $"[Specialize] names '{requested.Keys.First()}', which is neither a type parameter nor a [Constant] parameter");

        var result = new List<KernelSpecialization>();
        int total = axes.Aggregate(1, (n, a) => n * a.Values.Count);
        for (int index = 0; index < total; index++)
        {
            var display = new List<KeyValuePair<string, string>>();
            var selectors = new List<KeyValuePair<string, string>>();
            var typeArgs = new Dictionary<ITypeParameterSymbol, ITypeSymbol>(SymbolEqualityComparer.Default);
            var constants = new Dictionary<string, IrConst>();
            string entry = entryBase;
            int rest = index;
            // Mixed-radix digits of the index: the last axis varies fastest.
            var picks = new int[axes.Count];
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                picks[a] = rest % axes[a].Values.Count;
                rest /= axes[a].Values.Count;
            }
            for (int a = 0; a < axes.Count; a++)
            {
                var (text, selector, value) = axes[a].Values[picks[a]];
                display.Add(new KeyValuePair<string, string>(axes[a].Name, text));
                selectors.Add(new KeyValuePair<string, string>(axes[a].Name, selector));
                entry += "_" + Identifier(axes[a].Name) + "_" + Identifier(text);
                ITypeParameterSymbol? tp = kernel.TypeParameters.FirstOrDefault(t => t.Name == axes[a].Name);
                if (tp is not null) typeArgs[tp] = (ITypeSymbol)value;
                else
                {
                    IParameterSymbol p = kernel.Parameters.First(x => x.Name == axes[a].Name);
                    IrType t = TypeMapper.MemoryType(p.Type)!.Value;
                    constants[p.Name] = IrTypes.IsFloat(t)
                        ? IrConst.Real(t, System.Convert.ToDouble(value, CultureInfo.InvariantCulture))
                        : t == IrType.Bool ? IrConst.Bool((bool)value) : IrFactory.Wrap(t, System.Convert.ToInt64(value, CultureInfo.InvariantCulture));
                }
            }
            result.Add(new KernelSpecialization(entry, display, typeArgs, constants, selectors));
        }
        return result;
    }

    /// <summary>A fragment safe in PTX, OpenCL C and C# identifiers.</summary>
    public static string Identifier(string text)
    {
        var chars = text.Select(c => char.IsLetterOrDigit(c) ? c : c == '-' ? 'm' : '_').ToArray();
        return new string(chars);
    }
}
