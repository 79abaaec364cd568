using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// What a C# expression evaluates to during lowering. Scalars are IR expressions; views, structs and register
/// arrays exist only in the frontend and are taken apart into scalars before anything reaches a backend.
/// </summary>
internal abstract class Value { }

internal sealed class ScalarValue : Value
{
    public ScalarValue(IrExpr expr) => Expr = expr;
    public IrExpr Expr { get; }
}

internal sealed class ViewValue : Value
{
    public ViewValue(IrView view) => View = view;
    public IrView View { get; }
}

/// <summary>A struct or tuple value, field by field (record structs by property name, tuples by Item1..ItemN).</summary>
internal sealed class StructValue : Value
{
    public StructValue(ITypeSymbol type, IReadOnlyList<KeyValuePair<string, Value>> fields) { Type = type; Fields = fields; }
    public ITypeSymbol Type { get; }
    public IReadOnlyList<KeyValuePair<string, Value>> Fields { get; }

    public Value Field(string name)
    {
        foreach (var f in Fields) if (f.Key == name) return f.Value;
        throw new KeyNotFoundException(name);
    }
}

/// <summary>A register array (a <c>Span&lt;T&gt;</c> from <c>stackalloc</c> with a constant length): passed by reference, as C# does.</summary>
internal sealed class ArrayValue : Value
{
    public ArrayValue(RegisterArray array) => Array = array;
    public RegisterArray Array { get; }
}

/// <summary>The registers of one register array: one local per element.</summary>
internal sealed class RegisterArray
{
    public RegisterArray(string name, IrType elementType, IrLocal[] elements) { Name = name; ElementType = elementType; Elements = elements; }
    public string Name { get; }
    public IrType ElementType { get; }
    public IrLocal[] Elements { get; }
}

/// <summary>Where a C# local or parameter lives during lowering.</summary>
internal abstract class Storage { }

/// <summary>A scalar in a virtual register.</summary>
internal sealed class ScalarStorage : Storage
{
    public ScalarStorage(IrLocal local) => Local = local;
    public IrLocal Local { get; }
}

/// <summary>A value that never changes after it is bound: constants, unrolled loop counters, views and arrays bound once.</summary>
internal sealed class FixedStorage : Storage
{
    public FixedStorage(Value value) => Value = value;
    public Value Value { get; }
}

/// <summary>A view variable that is reassigned: its root and element type are fixed, its offset and length live in registers.</summary>
internal sealed class ViewStorage : Storage
{
    public ViewStorage(IrViewRoot root, IrType elementType, IrLocal byteOffset, IrLocal length)
    { Root = root; ElementType = elementType; ByteOffset = byteOffset; Length = length; }
    public IrViewRoot Root { get; }
    public IrType ElementType { get; }
    public IrLocal ByteOffset { get; }
    public IrLocal Length { get; }
    public IrView View => new(Root, ElementType, new IrLocalRef(ByteOffset), new IrLocalRef(Length));
}

/// <summary>A struct variable: one storage per field.</summary>
internal sealed class StructStorage : Storage
{
    public StructStorage(ITypeSymbol type, IReadOnlyList<KeyValuePair<string, Storage>> fields) { Type = type; Fields = fields; }
    public ITypeSymbol Type { get; }
    public IReadOnlyList<KeyValuePair<string, Storage>> Fields { get; }

    public Storage Field(string name)
    {
        foreach (var f in Fields) if (f.Key == name) return f.Value;
        throw new KeyNotFoundException(name);
    }
}
