namespace RectifiedSpaAttn.Generators.Ir;

/// <summary>Where a view's memory lives.</summary>
public enum IrAddressSpace { Global, Shared }

/// <summary>The allocation a view points into: a buffer parameter, a static shared allocation, or the dynamic shared memory.</summary>
public abstract class IrViewRoot
{
    public abstract IrAddressSpace Space { get; }
    /// <summary>The element type the root was declared with.</summary>
    public abstract IrType ElementType { get; }
}

/// <summary>A buffer parameter's memory (global).</summary>
public sealed class IrBufferRoot : IrViewRoot
{
    public IrBufferRoot(IrParam param) => Param = param;
    public IrParam Param { get; }
    public override IrAddressSpace Space => IrAddressSpace.Global;
    public override IrType ElementType => Param.Type;
}

/// <summary>
/// A statically sized shared allocation (<c>SharedMemory.Allocate&lt;T&gt;(n)</c>). Each call site is one allocation.
/// <see cref="ByteOffset"/> places it in the group's static shared memory (16-byte aligned); see <see cref="IrKernel.StaticSharedBytes"/>.
/// </summary>
public sealed class IrSharedAllocation : IrViewRoot
{
    public IrSharedAllocation(int id, IrType elementType, int length, int byteOffset)
    { Id = id; Type = elementType; Length = length; ByteOffset = byteOffset; }
    public int Id { get; }
    public IrType Type { get; }
    public int Length { get; }
    public int ByteOffset { get; }
    public int Bytes => Length * IrTypes.SizeOf(Type);
    public string Name => "smem" + Id;
    public override IrAddressSpace Space => IrAddressSpace.Shared;
    public override IrType ElementType => Type;
}

/// <summary>The launch's dynamic shared memory (<c>SharedMemory.GetDynamic&lt;T&gt;()</c>), 16-byte aligned, typed as bytes.</summary>
public sealed class IrDynamicSharedRoot : IrViewRoot
{
    public static readonly IrDynamicSharedRoot Instance = new();
    private IrDynamicSharedRoot() { }
    public override IrAddressSpace Space => IrAddressSpace.Shared;
    public override IrType ElementType => IrType.U8;
}

/// <summary>
/// A typed window onto a root: element <c>i</c> lives at byte <c>ByteOffset + i * sizeof(ElementType)</c> from the
/// root's start. <see cref="ByteOffset"/> and <see cref="Length"/> are I64 expressions (usually constants or locals
/// that the frontend made for <c>SubView</c>/<c>Cast</c>).
/// </summary>
public sealed class IrView
{
    public IrView(IrViewRoot root, IrType elementType, IrExpr byteOffset, IrExpr length)
    { Root = root; ElementType = elementType; ByteOffset = byteOffset; Length = length; }
    public IrViewRoot Root { get; }
    public IrType ElementType { get; }
    public IrExpr ByteOffset { get; }
    public IrExpr Length { get; }
    public IrAddressSpace Space => Root.Space;
}
