using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Tests;

public class IrTypesTests
{
    [Theory]
    [InlineData(IrType.BF16, 2)]
    [InlineData(IrType.F32, 4)]
    [InlineData(IrType.U64, 8)]
    [InlineData(IrType.Bool, 1)]
    public void SizeOfMatchesTheMemoryLayout(IrType type, int bytes) => Assert.Equal(bytes, IrTypes.SizeOf(type));
}
