/**
 * IndexedDB for what the officer's page keeps between visits: the trust list, the signed status
 * list (a province's list is too large for localStorage), nonces of tokens checked offline, and
 * the queue of offline checks waiting for upload.
 */
const DB_NAME = 'roadcert-verify';
const KV = 'kv';
const QUEUE = 'queue';

let opened: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(KV);
      req.result.createObjectStore(QUEUE, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

async function run<T>(
  store: string,
  mode: IDBTransactionMode,
  op: (s: IDBObjectStore) => IDBRequest,
): Promise<T> {
  const d = await db();
  return new Promise<T>((resolve, reject) => {
    const tx = d.transaction(store, mode);
    const req = op(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result as T);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kv = {
  get: <T>(key: string) => run<T | undefined>(KV, 'readonly', (s) => s.get(key)),
  set: (key: string, value: unknown) => run<IDBValidKey>(KV, 'readwrite', (s) => s.put(value, key)),
  delete: (key: string) => run<undefined>(KV, 'readwrite', (s) => s.delete(key)),
};

export interface QueuedVerification {
  /** Becomes the verification's id on the server (uploads are idempotent). */
  id: string;
  /** Whose check it is: only that officer's session uploads it. */
  officer: string;
  code: string;
  checkedAt: string;
  place?: string;
  /** What the page showed offline. */
  localResult: 'valid' | 'invalid';
  localReason?: string;
  outcome?: { recognized: boolean; reason?: string };
  /** Last upload error the server gave, if it refused the item. */
  error?: string;
}

export const queue = {
  all: () => run<QueuedVerification[]>(QUEUE, 'readonly', (s) => s.getAll()),
  put: (item: QueuedVerification) => run<IDBValidKey>(QUEUE, 'readwrite', (s) => s.put(item)),
  delete: (id: string) => run<undefined>(QUEUE, 'readwrite', (s) => s.delete(id)),
};

/** Signs out: nothing of the officer's work stays behind except queued checks (they still upload). */
export async function clearCaches(): Promise<void> {
  await kv.delete('trust');
  await kv.delete('statusList');
  await kv.delete('nonces');
}
