// The native kernels of the wire: @recur/protocol holds its array hot paths behind seams — the
// fp16 conversions of gradients sent with precision 'fp16' (`halfConversions`) and the
// finiteness check of every tensor decoded (`finiteCheck`) — and must not depend on the kernels
// (protocol ← cluster), so the cluster installs the native ones there when it starts a node or
// a coordinator and the thread's kernel backend is native. They give the protocol's JavaScript
// answers bit for bit (conversions: round to nearest even, NaNs as the protocol writes them;
// the check: the same boolean), so which one runs changes no byte on the wire and no value or
// refusal decoded: only the speed.
import { kernelBackend, nativeAllFinite, nativeHalfConversions } from '@recur/kernels';
import { finiteCheck, halfConversions } from '@recur/protocol';

/** The protocol's own functions, as they were when this module loaded. */
const scripted = {
  encode: halfConversions.encode,
  decode: halfConversions.decode,
  allFinite: finiteCheck.allFinite,
};

/**
 * Installs the native half conversions and finiteness check into the protocol's seams when this
 * thread's kernel backend is native (else puts the protocol's own back); returns which are in use.
 */
export function installProtocolKernels(): 'native' | 'js' {
  const native = kernelBackend().name === 'native';
  const halves = native ? nativeHalfConversions() : null;
  const finite = native ? nativeAllFinite() : null;
  halfConversions.encode = halves?.encode ?? scripted.encode;
  halfConversions.decode = halves?.decode ?? scripted.decode;
  finiteCheck.allFinite = finite ?? scripted.allFinite;
  return halves === null || finite === null ? 'js' : 'native';
}
