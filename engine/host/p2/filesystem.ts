/**
 * wasi:filesystem/{types,preopens}: no filesystem. There are no preopened directories, so a
 * guest can never obtain a descriptor; should one appear anyway, every operation fails with
 * `access`. The resources exist so that guests whose toolchain imports them still instantiate.
 */

import { IoError } from './io-error.ts';
import { fail } from './result.ts';

function denied(): never {
  fail('access');
}

export class Descriptor {
  readViaStream(_offset: bigint): never { denied(); }
  writeViaStream(_offset: bigint): never { denied(); }
  appendViaStream(): never { denied(); }
  advise(_offset: bigint, _length: bigint, _advice: string): never { denied(); }
  syncData(): never { denied(); }
  getFlags(): never { denied(); }
  getType(): never { denied(); }
  setSize(_size: bigint): never { denied(); }
  setTimes(_atime: unknown, _mtime: unknown): never { denied(); }
  read(_length: bigint, _offset: bigint): never { denied(); }
  write(_buffer: Uint8Array, _offset: bigint): never { denied(); }
  readDirectory(): never { denied(); }
  sync(): never { denied(); }
  createDirectoryAt(_path: string): never { denied(); }
  stat(): never { denied(); }
  statAt(_pathFlags: unknown, _path: string): never { denied(); }
  setTimesAt(_pathFlags: unknown, _path: string, _atime: unknown, _mtime: unknown): never { denied(); }
  linkAt(_oldFlags: unknown, _oldPath: string, _newDesc: Descriptor, _newPath: string): never { denied(); }
  openAt(_pathFlags: unknown, _path: string, _openFlags: unknown, _flags: unknown): never { denied(); }
  readlinkAt(_path: string): never { denied(); }
  removeDirectoryAt(_path: string): never { denied(); }
  renameAt(_oldPath: string, _newDesc: Descriptor, _newPath: string): never { denied(); }
  symlinkAt(_oldPath: string, _newPath: string): never { denied(); }
  unlinkFileAt(_path: string): never { denied(); }
  isSameObject(other: Descriptor): boolean { return this === other; }
  metadataHash(): never { denied(); }
  metadataHashAt(_pathFlags: unknown, _path: string): never { denied(); }
}

export class DirectoryEntryStream {
  readDirectoryEntry(): never { denied(); }
}

const NO_PREOPENS: Array<[Descriptor, string]> = [];

export const filesystemTypesImports = {
  Descriptor,
  DirectoryEntryStream,
  /** The filesystem error code behind a stream error, if it came from a file (never, here). */
  filesystemErrorCode(err: IoError): string | undefined {
    return err instanceof IoError ? err.fsCode : undefined;
  },
};

export const preopensImports = {
  getDirectories(): Array<[Descriptor, string]> {
    return NO_PREOPENS;
  },
};
