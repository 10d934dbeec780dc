/**
 * wasi:sockets: no network. Creating a TCP/UDP socket or resolving a name fails with
 * `access-denied`, as wasmtime does when the socket capability is not granted. The socket
 * resources exist so guests importing them instantiate; as none can be created, their methods
 * only answer `access-denied` (or a harmless default where the WIT has no error case).
 */

import type { IoError } from './io-error.ts';
import { READY, type Pollable } from './poll.ts';
import { fail } from './result.ts';

function denied(): never {
  fail('access-denied');
}

/** wasi:sockets/network.network: an opaque capability token. */
export class Network {}

export class TcpSocket {
  startBind(_network: Network, _address: unknown): never {
    denied();
  }
  finishBind(): never {
    denied();
  }
  startConnect(_network: Network, _address: unknown): never {
    denied();
  }
  finishConnect(): never {
    denied();
  }
  startListen(): never {
    denied();
  }
  finishListen(): never {
    denied();
  }
  accept(): never {
    denied();
  }
  localAddress(): never {
    denied();
  }
  remoteAddress(): never {
    denied();
  }
  isListening(): boolean {
    return false;
  }
  addressFamily(): string {
    return 'ipv4';
  }
  setListenBacklogSize(_value: bigint): never {
    denied();
  }
  keepAliveEnabled(): never {
    denied();
  }
  setKeepAliveEnabled(_value: boolean): never {
    denied();
  }
  keepAliveIdleTime(): never {
    denied();
  }
  setKeepAliveIdleTime(_value: bigint): never {
    denied();
  }
  keepAliveInterval(): never {
    denied();
  }
  setKeepAliveInterval(_value: bigint): never {
    denied();
  }
  keepAliveCount(): never {
    denied();
  }
  setKeepAliveCount(_value: number): never {
    denied();
  }
  hopLimit(): never {
    denied();
  }
  setHopLimit(_value: number): never {
    denied();
  }
  receiveBufferSize(): never {
    denied();
  }
  setReceiveBufferSize(_value: bigint): never {
    denied();
  }
  sendBufferSize(): never {
    denied();
  }
  setSendBufferSize(_value: bigint): never {
    denied();
  }
  subscribe(): Pollable {
    return READY;
  }
  shutdown(_type: string): never {
    denied();
  }
}

export class UdpSocket {
  startBind(_network: Network, _address: unknown): never {
    denied();
  }
  finishBind(): never {
    denied();
  }
  stream(_remote: unknown): never {
    denied();
  }
  localAddress(): never {
    denied();
  }
  remoteAddress(): never {
    denied();
  }
  addressFamily(): string {
    return 'ipv4';
  }
  unicastHopLimit(): never {
    denied();
  }
  setUnicastHopLimit(_value: number): never {
    denied();
  }
  receiveBufferSize(): never {
    denied();
  }
  setReceiveBufferSize(_value: bigint): never {
    denied();
  }
  sendBufferSize(): never {
    denied();
  }
  setSendBufferSize(_value: bigint): never {
    denied();
  }
  subscribe(): Pollable {
    return READY;
  }
}

export class IncomingDatagramStream {
  receive(_maxResults: bigint): never {
    denied();
  }
  subscribe(): Pollable {
    return READY;
  }
}

export class OutgoingDatagramStream {
  checkSend(): never {
    denied();
  }
  send(_datagrams: unknown[]): never {
    denied();
  }
  subscribe(): Pollable {
    return READY;
  }
}

export class ResolveAddressStream {
  resolveNextAddress(): never {
    denied();
  }
  subscribe(): Pollable {
    return READY;
  }
}

export interface SocketsImports {
  'wasi:sockets/network': Record<string, unknown>;
  'wasi:sockets/instance-network': Record<string, unknown>;
  'wasi:sockets/tcp': Record<string, unknown>;
  'wasi:sockets/tcp-create-socket': Record<string, unknown>;
  'wasi:sockets/udp': Record<string, unknown>;
  'wasi:sockets/udp-create-socket': Record<string, unknown>;
  'wasi:sockets/ip-name-lookup': Record<string, unknown>;
}

export function createSocketsImports(): SocketsImports {
  // The network handle itself is harmless: every use of it is denied.
  const network = new Network();
  return {
    'wasi:sockets/network': {
      Network,
      // @unstable(network-error-code): our errors never carry a socket error code.
      networkErrorCode: (_err: IoError): undefined => undefined,
    },
    'wasi:sockets/instance-network': { instanceNetwork: (): Network => network },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: (_family: string): never => denied() },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': { createUdpSocket: (_family: string): never => denied() },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: (_network: Network, _name: string): never => denied(),
    },
  };
}
