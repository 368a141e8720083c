import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentFileName } from '../../../src/services/documents/get-certificate-document.ts';

test('a download is named by kind and number, but an ID-number certificate number shows its tail only', () => {
  assert.equal(
    documentFileName('道路运输经营许可证', '辽交运管许可沈字210100001234号', 'pdf'),
    '道路运输经营许可证_辽交运管许可沈字210100001234号.pdf',
  );
  assert.equal(
    documentFileName('道路运输从业人员从业资格证', '21010219900101123X', 'ofd'),
    '道路运输从业人员从业资格证_尾号123X.ofd',
  );
  assert.equal(
    documentFileName('道路运输从业人员从业资格证', '210102900101123', 'ofd'),
    '道路运输从业人员从业资格证_尾号1123.ofd',
  );
});
