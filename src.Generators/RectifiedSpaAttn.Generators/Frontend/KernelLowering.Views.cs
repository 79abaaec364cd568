using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// <c>ArrayView&lt;T&gt;.SubView</c> and <c>Cast&lt;U&gt;</c> inside kernels. A view is a root plus byte offset and
/// length expressions, so both only compute new expressions: no memory is touched and the root (buffer parameter,
/// shared allocation or dynamic shared memory) is kept, which keeps the view's address space. As on the GPU there is
/// no range check; the host API's preconditions (in range, byte offset a multiple of the new element size) are the
/// kernel author's to keep.
/// </summary>
internal sealed partial class KernelLowering
{
    private Value LowerViewCall(IInvocationOperation inv)
    {
        IMethodSymbol m = inv.TargetMethod;
        Location? where = Where(inv);
        switch (m.Name)
        {
            case "SubView":
            {
                // The instance first, then the arguments in evaluation order (named arguments may reorder them).
                IOperation[] operands = new[] { inv.Instance! }.Concat(inv.Arguments.Select(a => a.Value)).ToArray();
                Value[] values = LowerInOrder(operands);
                IrExpr Argument(int ordinal) => IrFactory.Convert(IrType.I64,
                    AsScalar(values[1 + inv.Arguments.IndexOf(inv.Arguments.First(a => a.Parameter!.Ordinal == ordinal))], where));
                IrView view = AsView(values[0], where);
                IrExpr first = Argument(0), count = Argument(1);
                IrExpr offset = IrFactory.Binary(IrBinaryOp.Add, view.ByteOffset,
                    IrFactory.Binary(IrBinaryOp.Mul, first, IrFactory.Long(IrTypes.SizeOf(view.ElementType))));
                return new ViewValue(new IrView(view.Root, view.ElementType, offset, count));
            }
            case "Cast":
            {
                IrView view = AsView(LowerExpression(inv.Instance!), where);
                IrType element = ScalarMemoryType(m.TypeArguments[0], where);
                int from = IrTypes.SizeOf(view.ElementType), to = IrTypes.SizeOf(element);
                // Same bytes, counted in the new element size (the host API refuses a remainder; here it is dropped).
                IrExpr length = from == to ? view.Length
                    : IrFactory.Binary(IrBinaryOp.Div, IrFactory.Binary(IrBinaryOp.Mul, view.Length, IrFactory.Long(from)), IrFactory.Long(to));
                return new ViewValue(new IrView(view.Root, element, view.ByteOffset, length));
            }
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'ArrayView.{m.Name}'",
                    "inside kernels a view offers indexing, Length, LengthInBytes, SubView and Cast");
        }
    }
}
