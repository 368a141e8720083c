// The part of unzipper (0.10, a dependency of exceljs) the import uses: random access to the
// parts of an .xlsx through the zip's central directory.
declare module 'unzipper' {
  interface CentralDirectoryFile {
    path: string;
    type: 'File' | 'Directory';
    uncompressedSize: number;
    stream(password?: string): NodeJS.ReadableStream & import('node:stream').Readable;
  }
  interface CentralDirectory {
    files: CentralDirectoryFile[];
  }
  const unzipper: {
    Open: { file(path: string): Promise<CentralDirectory> };
  };
  export default unzipper;
}
