using System.Collections.Generic;
using System.Text;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.Ptx;

/// <summary>The PTX register kinds the backend declares; each IR type lives in exactly one.</summary>
internal enum PtxRegisterClass { Pred, B16, B32, B64, F32, F64 }

/// <summary>
/// Hands out fresh virtual registers and writes their <c>.reg</c> declarations. PTX registers are virtual: ptxas
/// allocates the physical ones, so the backend never reuses a name and gives every IR local and every expression
/// result its own register (one register per local keeps the text readable; ptxas coalesces the moves).
/// </summary>
internal sealed class PtxRegisterFile
{
    private static readonly string[] Prefixes = { "%p", "%rs", "%r", "%rd", "%f", "%fd" };
    private static readonly string[] DeclaredTypes = { ".pred", ".b16", ".b32", ".b64", ".f32", ".f64" };
    private readonly int[] _counts = new int[Prefixes.Length];

    /// <summary>The register class that holds values of <paramref name="type"/>.</summary>
    /// <remarks>
    /// 8- and 16-bit integers and the 16-bit floats share .b16 registers (PTX has no usable 8-bit registers); U8
    /// values are kept zero-extended, so every operation that can carry past bit 7 masks its result.
    /// </remarks>
    public static PtxRegisterClass ClassOf(IrType type) => type switch
    {
        IrType.Bool => PtxRegisterClass.Pred,
        IrType.U8 or IrType.U16 or IrType.F16 or IrType.BF16 => PtxRegisterClass.B16,
        IrType.I32 or IrType.U32 => PtxRegisterClass.B32,
        IrType.I64 or IrType.U64 => PtxRegisterClass.B64,
        IrType.F32 => PtxRegisterClass.F32,
        _ => PtxRegisterClass.F64,
    };

    /// <summary>A fresh register for a value of <paramref name="type"/>.</summary>
    public string New(IrType type) => New(ClassOf(type));

    /// <summary>A fresh register of <paramref name="cls"/>.</summary>
    public string New(PtxRegisterClass cls)
    {
        int c = (int)cls;
        return Prefixes[c] + (_counts[c]++).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>One <c>.reg .T %x&lt;N&gt;;</c> line per class in use (N covers %x0 .. %x(N-1)).</summary>
    public void WriteDeclarations(StringBuilder sb)
    {
        for (int c = 0; c < _counts.Length; c++)
            if (_counts[c] > 0)
                sb.Append("\t.reg ").Append(DeclaredTypes[c]).Append(' ').Append(Prefixes[c])
                  .Append('<').Append(_counts[c]).Append(">;\n");
    }

    /// <summary>All registers allocated so far, per class (for tests and diagnostics).</summary>
    public IReadOnlyList<int> Counts => _counts;
}
