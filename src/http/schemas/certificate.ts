import { Type } from 'typebox';

/*
 * The certificate as the API shows it, shared by the staff routes and the holder's wallet, so
 * the two audiences read the same shape.
 */

export const CertificateStatus = Type.Union(
  ['valid', 'suspended', 'superseded', 'revoked', 'expired'].map((s) => Type.Literal(s)),
);
export const CertificateSummary = Type.Object({
  identifier: Type.String(),
  version: Type.Integer(),
  kind: Type.Object({ code: Type.String(), name: Type.String() }),
  regionCode: Type.String(),
  regionName: Type.String(),
  certificateNumber: Type.String(),
  holderName: Type.String(),
  status: CertificateStatus,
  statusCode: Type.String({
    description: '证照状态代码：10 有效，01 无效（已换发），02 无效（已过期），03 已注销，09 无效（暂停）',
  }),
  statusName: Type.String(),
  issueDate: Type.String(),
  validFrom: Type.Union([Type.String(), Type.Null()]),
  validTo: Type.Union([Type.String(), Type.Null()]),
  signedAt: Type.String(),
});
export const CertificateDetail = Type.Intersect([
  CertificateSummary,
  Type.Object({
    serial: Type.String(),
    catalogVersion: Type.Integer(),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    statusChangedAt: Type.String(),
    issuer: Type.Object({ name: Type.String(), code: Type.String() }),
    holder: Type.Object({ idType: Type.String(), id: Type.String(), name: Type.String() }),
    face: Type.Record(Type.String(), Type.Unknown()),
    previousIdentifier: Type.Union([Type.String(), Type.Null()]),
    nextIdentifier: Type.Union([Type.String(), Type.Null()]),
    signedData: Type.String({ description: '被签名的 RFC 8785 规范化 JSON 原文（base64）' }),
    signedDataDigest: Type.String({ description: 'signedData 的 SM3 摘要（十六进制）' }),
    signature: Type.String({ description: 'SM2 签名（DER，base64；GB/T 32918，默认用户标识）' }),
    seal: Type.Object({
      keyId: Type.String(),
      algorithm: Type.Literal('SM2-with-SM3'),
      signerId: Type.String(),
      certificateSerial: Type.Union([Type.String(), Type.Null()]),
      certificate: Type.Union([Type.String(), Type.Null()], { description: '签章证书（PEM）' }),
      trustUrl: Type.String(),
    }),
  }),
]);
export const IdentifierParams = Type.Object({
  identifier: Type.String({
    minLength: 20,
    maxLength: 160,
    pattern: '^1\\.2\\.156\\.3005\\.2\\.[0-9A-Z.]+$',
  }),
});
