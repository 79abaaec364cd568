using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>
/// Where a view's elements live. Element i of a view is at byte <c>root start + ByteOffset + i*sizeof(T)</c>, the root
/// start of a buffer being <c>p_base + p_off*sizeof(root T)</c>. Views typed like their root index the root's pointer
/// directly; others go through a <c>uchar</c> pointer and a cast.
/// </summary>
internal static class OpenCLAddressing
{
    public static string SpaceQualifier(IrView v) => v.Space == IrAddressSpace.Global ? "__global" : "__local";

    /// <summary>A <c>uchar</c> pointer to the root's first byte.</summary>
    public static string RootBytes(IrViewRoot root) => root switch
    {
        IrBufferRoot b => $"((__global uchar*){OpenCLNames.BufferBase(b.Param)} + {OpenCLNames.BufferOffset(b.Param)} * {IrTypes.SizeOf(b.Param.Type)}UL)",
        IrSharedAllocation a => $"((__local uchar*){a.Name})",
        _ => "dyn_smem",
    };

    /// <summary>The element <paramref name="index"/> of <paramref name="view"/> as an lvalue of its memory type.</summary>
    public static string Element(IrView view, string index, System.Func<IrExpr, string> write)
    {
        IrViewRoot root = view.Root;
        int size = IrTypes.SizeOf(view.ElementType);
        if (OpenCLNames.MemoryType(root.ElementType) == OpenCLNames.MemoryType(view.ElementType))
        {
            string offset = view.ByteOffset is IrConst c
                ? (c.Bits / size == 0 ? "" : OpenCLLiterals.Int64(c.Bits / size) + " + ")
                : $"({write(view.ByteOffset)}) / {size}L + ";
            string i = $"(long)({index})";
            return root switch
            {
                IrBufferRoot b => $"{OpenCLNames.BufferBase(b.Param)}[{OpenCLNames.BufferOffset(b.Param)} + {offset}{i}]",
                IrSharedAllocation a => $"{a.Name}[{offset}{i}]",
                _ => $"dyn_smem[{offset}{i}]",
            };
        }
        return $"(*({SpaceQualifier(view)} {OpenCLNames.MemoryType(view.ElementType)}*){ByteAddress(view, index, write)})";
    }

    /// <summary>A <c>uchar</c> pointer to element <paramref name="index"/> of the view.</summary>
    public static string ByteAddress(IrView view, string index, System.Func<IrExpr, string> write)
        => $"({RootBytes(view.Root)} + {ByteOffset(view, index, write)})";

    /// <summary>The element's byte offset from the root's start, as a long expression.</summary>
    public static string ByteOffset(IrView view, string index, System.Func<IrExpr, string> write)
    {
        string offset = view.ByteOffset is IrConst { Bits: 0 } ? "" : $"({write(view.ByteOffset)}) + ";
        return $"({offset}(long)({index}) * {IrTypes.SizeOf(view.ElementType)}L)";
    }
}
