// This ISA's kernel table (Note [one object per ISA] in ../kernels.h).
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

namespace {
const KernelTable kTable = {
    RECUR_ISA_NAME, gemmScratchFloats, packedBoundFloats, gemm,         addBiasRows, addColumnSums, lstmForward, lstmBackward,
    gruForward,     gruBackward,  rnnForward,  rnnBackward,   sgdUpdate,
    adamUpdate,     rmspropUpdate, reduceSlots,   encodeHalves, decodeHalves, fmaPeak,
    softmaxCrossEntropy, mseLoss, embeddingForward, embeddingBackward,
};
}  // namespace

const KernelTable* table() { return &kTable; }

}  // namespace RECUR_ISA
}  // namespace recur
