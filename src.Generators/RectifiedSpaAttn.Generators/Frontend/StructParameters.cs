using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>One scalar of a struct kernel parameter: its member path below the parameter (<c>Sizes.Rows</c>) and its C# type.</summary>
internal sealed class StructLeaf
{
    public StructLeaf(IReadOnlyList<string> path, ITypeSymbol type) { Path = path; Type = type; }
    public IReadOnlyList<string> Path { get; }
    public ITypeSymbol Type { get; }
}

/// <summary>
/// What a struct kernel parameter flattens to. A kernel may take a user-defined unmanaged struct whose fields are
/// kernel scalars or such structs; the PTX entry, the OpenCL kernel and the CPU frame then take one scalar parameter
/// per field, depth first in declaration order (the order of <see cref="TypeMapper.StructFields"/>, which the frontend
/// binds the fields in too), each with its own natural alignment, and the generated launcher reads them from the struct.
/// </summary>
internal static class StructParameters
{
    /// <summary>The scalars of <paramref name="type"/> in parameter order, or, in <paramref name="problem"/>, why it cannot be flattened.</summary>
    public static List<StructLeaf> Leaves(ITypeSymbol type, out string? problem)
    {
        var leaves = new List<StructLeaf>();
        problem = Collect(type, new List<string>(), leaves);
        return leaves;
    }

    private static string? Collect(ITypeSymbol type, List<string> path, List<StructLeaf> leaves)
    {
        string display = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        if (type.IsRefLikeType) return $"'{display}' is a ref struct";
        foreach (KeyValuePair<string, ITypeSymbol> field in TypeMapper.StructFields(type))
        {
            string member = display + "." + field.Key;
            ITypeSymbol fieldType = field.Value;
            if (!Readable(type, field.Key)) return $"'{member}' is not public or internal, and the generated launcher reads every field";
            path.Add(field.Key);
            switch (TypeMapper.ShapeOf(fieldType))
            {
                case TypeShape.Scalar:
                    leaves.Add(new StructLeaf(path.ToArray(), fieldType));
                    break;
                case TypeShape.Struct:
                    string? inner = Collect(fieldType, path, leaves);
                    if (inner is not null) return inner;
                    break;
                case TypeShape.View:
                    return $"'{member}' is an ArrayView<T>, which is a kernel parameter of its own";
                default:
                    return fieldType.IsReferenceType
                        ? $"'{member}' has the reference type '{fieldType.ToDisplayString()}'"
                        : $"'{member}' has the type '{fieldType.ToDisplayString()}', which is not a kernel scalar";
            }
            path.RemoveAt(path.Count - 1);
        }
        return null;
    }

    /// <summary>Whether <paramref name="type"/> is or contains a type parameter (<c>T</c>, <c>Sizes&lt;T&gt;</c>).</summary>
    public static bool DependsOnTypeParameters(ITypeSymbol type) =>
        type is ITypeParameterSymbol || type is INamedTypeSymbol named && named.TypeArguments.Any(DependsOnTypeParameters);

    /// <summary>Whether generated code in the same assembly can read the field or property called <paramref name="name"/>.</summary>
    private static bool Readable(ITypeSymbol type, string name)
    {
        foreach (ISymbol member in type.GetMembers(name))
        {
            switch (member)
            {
                case IFieldSymbol f: return Visible(f.DeclaredAccessibility);
                case IPropertySymbol p: return Visible(p.DeclaredAccessibility) && p.GetMethod is { } get && Visible(get.DeclaredAccessibility);
            }
        }
        return false;
    }

    private static bool Visible(Accessibility a) => a is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
}
