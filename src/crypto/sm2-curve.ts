/**
 * The SM2 recommended curve (GB/T 32918.5, also `1.2.156.10197.1.301`):
 * y² = x³ + ax + b over F_p, base point G of prime order n, cofactor 1.
 */
export const SM2_CURVE = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
} as const;

/** Byte length of field elements and scalars. */
export const SM2_COORD_LENGTH = 32;
export const SM2_PRIVATE_KEY_LENGTH = 32;
/** Uncompressed point 04 ‖ x ‖ y. */
export const SM2_PUBLIC_KEY_LENGTH = 65;

/** GM/T 0009 default distinguishing identifier, used unless an agreement says otherwise. */
export const SM2_DEFAULT_ID = '1234567812345678';

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  sm2Curve: '1.2.156.10197.1.301',
  sm2WithSm3: '1.2.156.10197.1.501',
  sm3: '1.2.156.10197.1.401',
} as const;
