namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>
/// Scalar types of the kernel IR. <see cref="F16"/> and <see cref="BF16"/> exist only as memory element types: a
/// load of one is always wrapped in a <see cref="IrConvert"/> to <see cref="F32"/>, and a store of one takes a
/// <see cref="IrConvert"/> from <see cref="F32"/> (round to nearest even). Structs, tuples and register arrays are
/// scalarised by the frontend; backends see scalars and views only.
/// </summary>
public enum IrType
{
    Bool, U8, U16, I32, U32, I64, U64, F16, BF16, F32, F64,
}

/// <summary>Facts about <see cref="IrType"/> every backend needs.</summary>
public static class IrTypes
{
    public static int SizeOf(IrType t) => t switch
    {
        IrType.Bool or IrType.U8 => 1,
        IrType.U16 or IrType.F16 or IrType.BF16 => 2,
        IrType.I32 or IrType.U32 or IrType.F32 => 4,
        _ => 8,
    };

    public static bool IsFloat(IrType t) => t is IrType.F16 or IrType.BF16 or IrType.F32 or IrType.F64;
    public static bool IsSigned(IrType t) => t is IrType.I32 or IrType.I64;
    public static bool IsInteger(IrType t) => t is IrType.U8 or IrType.U16 or IrType.I32 or IrType.U32 or IrType.I64 or IrType.U64;

    /// <summary>The name of the matching <c>RectifiedSpaAttn.Compute.ScalarType</c> member.</summary>
    public static string ScalarTypeName(IrType t) => t switch
    {
        IrType.Bool => "Bool", IrType.U8 => "UInt8", IrType.U16 => "UInt16", IrType.I32 => "Int32", IrType.U32 => "UInt32",
        IrType.I64 => "Int64", IrType.U64 => "UInt64", IrType.F16 => "Float16", IrType.BF16 => "BFloat16",
        IrType.F32 => "Float32", _ => "Float64",
    };
}
