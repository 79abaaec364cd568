using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>
/// Finds the locals and parameters a method body assigns after their declaration. The others hold one value for
/// their whole life, so constants among them can be folded (and drive unrolling) without a register.
/// </summary>
internal static class AssignmentAnalysis
{
    public static HashSet<ISymbol> Reassigned(IOperation body)
    {
        var set = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (IOperation op in body.Descendants())
        {
            switch (op)
            {
                case IDeconstructionAssignmentOperation d: AddTarget(d.Target, set); break;
                case IAssignmentOperation a: AddTarget(a.Target, set); break;
                case IIncrementOrDecrementOperation i: AddTarget(i.Target, set); break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } arg: AddTarget(arg.Value, set); break;
            }
        }
        return set;
    }

    private static void AddTarget(IOperation target, HashSet<ISymbol> set)
    {
        switch (target)
        {
            case ILocalReferenceOperation l: set.Add(l.Local); break;
            case IParameterReferenceOperation p: set.Add(p.Parameter); break;
            case IFieldReferenceOperation { Instance: { } instance }: AddTarget(instance, set); break;
            case IPropertyReferenceOperation { Instance: { } instance, Property.IsIndexer: false }: AddTarget(instance, set); break;
            case ITupleOperation t: foreach (IOperation e in t.Elements) AddTarget(e, set); break;
            case IDeclarationExpressionOperation d: AddTarget(d.Expression, set); break;
        }
    }
}
