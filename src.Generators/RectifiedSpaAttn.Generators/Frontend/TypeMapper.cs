using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>How the frontend sees a C# type: as one IR scalar, a view, a register array, or a struct of fields.</summary>
internal enum TypeShape { Scalar, View, RegisterArray, Struct, Unsupported }

/// <summary>Maps C# types (after substituting specialised type parameters) to IR types and shapes.</summary>
internal static class TypeMapper
{
    public const string ComputeNamespace = "RectifiedSpaAttn.Compute";

    public static bool IsComputeType(ITypeSymbol? t, string name) =>
        t is not null && t.Name == name && t.ContainingNamespace?.ToDisplayString() == ComputeNamespace;

    public static bool IsArrayView(ITypeSymbol t) => t is INamedTypeSymbol { Arity: 1 } n && IsComputeType(n, "ArrayView");

    public static bool IsSpan(ITypeSymbol t) =>
        t is INamedTypeSymbol { Arity: 1 } n && (n.Name == "Span" || n.Name == "ReadOnlySpan") && n.ContainingNamespace?.ToDisplayString() == "System";

    public static ITypeSymbol ElementOf(ITypeSymbol t) => ((INamedTypeSymbol)t).TypeArguments[0];

    /// <summary>The IR type of a C# scalar type as stored in memory, or null when it is not a scalar.</summary>
    public static IrType? MemoryType(ITypeSymbol t)
    {
        if (t is INamedTypeSymbol { TypeKind: TypeKind.Enum } e && e.EnumUnderlyingType is { } u) return MemoryType(u);
        switch (t.SpecialType)
        {
            case SpecialType.System_Boolean: return IrType.Bool;
            case SpecialType.System_Byte: return IrType.U8;
            case SpecialType.System_UInt16: return IrType.U16;
            case SpecialType.System_Char: return IrType.U16;
            case SpecialType.System_Int32: return IrType.I32;
            case SpecialType.System_UInt32: return IrType.U32;
            case SpecialType.System_Int64: return IrType.I64;
            case SpecialType.System_UInt64: return IrType.U64;
            case SpecialType.System_IntPtr: return IrType.I64;
            case SpecialType.System_UIntPtr: return IrType.U64;
            case SpecialType.System_Single: return IrType.F32;
            case SpecialType.System_Double: return IrType.F64;
        }
        if (t.Name == "Half" && t.ContainingNamespace?.ToDisplayString() == "System") return IrType.F16;
        if (t.Name == "BFloat16" && t.ContainingNamespace?.ToDisplayString() == "RectifiedSpaAttn.Numerics") return IrType.BF16;
        return null;
    }

    /// <summary>
    /// The IR type a value of this C# scalar type has in registers: 16-bit floats are held as F32 (exactly
    /// representable), so only loads and stores see F16/BF16.
    /// </summary>
    public static IrType? RegisterType(ITypeSymbol t) => MemoryType(t) is IrType m ? Widen(m) : null;

    public static IrType Widen(IrType m) => m is IrType.F16 or IrType.BF16 ? IrType.F32 : m;

    public static TypeShape ShapeOf(ITypeSymbol t)
    {
        if (MemoryType(t) is not null) return TypeShape.Scalar;
        if (IsArrayView(t)) return TypeShape.View;
        if (IsSpan(t)) return TypeShape.RegisterArray;
        if (t.IsValueType && (t.IsTupleType || t.TypeKind == TypeKind.Struct)) return TypeShape.Struct;
        return TypeShape.Unsupported;
    }

    /// <summary>A struct's fields by the name the source uses: record-struct properties, plain fields, tuple ItemN.</summary>
    public static List<KeyValuePair<string, ITypeSymbol>> StructFields(ITypeSymbol t)
    {
        var list = new List<KeyValuePair<string, ITypeSymbol>>();
        if (t is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            foreach (IFieldSymbol e in tuple.TupleElements)
                list.Add(new KeyValuePair<string, ITypeSymbol>(TupleFieldName(e), e.Type));
            return list;
        }
        foreach (ISymbol m in t.GetMembers())
        {
            if (m is IFieldSymbol { IsStatic: false, IsConst: false } f)
                list.Add(new KeyValuePair<string, ITypeSymbol>((f.AssociatedSymbol as IPropertySymbol)?.Name ?? BackingFieldOwner(f.Name), f.Type));
        }
        if (list.Count > 0) return list;
        // Types from metadata hide their backing fields: use the instance properties (a record struct's positional ones).
        foreach (ISymbol m in t.GetMembers())
        {
            if (m is IPropertySymbol { IsStatic: false, IsIndexer: false, GetMethod: not null } p && p.Name != "EqualityContract")
                list.Add(new KeyValuePair<string, ITypeSymbol>(p.Name, p.Type));
        }
        return list;
    }

    /// <summary>Structs from metadata show auto-property backing fields as <c>&lt;Name&gt;k__BackingField</c>.</summary>
    private static string BackingFieldOwner(string field)
    {
        int end = field.IndexOf(">k__BackingField", System.StringComparison.Ordinal);
        return field.StartsWith("<", System.StringComparison.Ordinal) && end > 1 ? field.Substring(1, end - 1) : field;
    }

    /// <summary>Tuple elements are keyed by their underlying ItemN name, whatever names the source gives them.</summary>
    public static string TupleFieldName(IFieldSymbol f) => f.CorrespondingTupleField?.Name ?? f.Name;

    public static string Describe(IrType t) => t switch
    {
        IrType.F32 => "float", IrType.F64 => "double", IrType.BF16 => "bfloat16", IrType.F16 => "half",
        IrType.I32 => "int", IrType.U32 => "uint", IrType.I64 => "long", IrType.U64 => "ulong",
        IrType.U8 => "byte", IrType.U16 => "ushort", _ => "bool",
    };
}
