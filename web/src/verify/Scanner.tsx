import { CameraOutlined, FileImageOutlined, StopOutlined } from '@ant-design/icons';
import { Alert, Button, Input, Tabs, Upload } from 'antd';
import jsQR from 'jsqr';
import { useCallback, useEffect, useRef, useState } from 'react';

/** Largest frame side handed to the decoder: enough for a phone's QR at arm's length, cheap to scan. */
const MAX_SIDE = 800;

function decode(source: CanvasImageSource, width: number, height: number, canvas: HTMLCanvasElement) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return null;
  g.drawImage(source, 0, 0, canvas.width, canvas.height);
  const image = g.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

/** Three ways in: the camera (getUserMedia + jsQR on frames), a photo, or pasted text. */
export function Scanner({ onCode, busy }: { onCode: (code: string) => void; busy: boolean }) {
  const [tab, setTab] = useState('camera');
  return (
    <Tabs
      activeKey={tab}
      onChange={setTab}
      centered
      items={[
        {
          key: 'camera',
          label: '扫码',
          children: tab === 'camera' && <Camera onCode={onCode} busy={busy} />,
        },
        { key: 'image', label: '图片', children: <ImageInput onCode={onCode} /> },
        { key: 'text', label: '粘贴', children: <TextInput onCode={onCode} busy={busy} /> },
      ]}
    />
  );
}

function Camera({ onCode, busy }: { onCode: (code: string) => void; busy: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const canvas = useRef<HTMLCanvasElement>(document.createElement('canvas'));
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stream = useRef<MediaStream | null>(null);

  const stop = useCallback(() => {
    for (const t of stream.current?.getTracks() ?? []) t.stop();
    stream.current = null;
    setRunning(false);
  }, []);

  async function start() {
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      setError('此浏览器无法使用摄像头（需 HTTPS 或本机访问），请改用图片或粘贴');
      return;
    }
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (e) {
      setError(
        (e as Error).name === 'NotAllowedError' ? '未获得摄像头权限，请在浏览器设置中允许' : '无法打开摄像头',
      );
      return;
    }
    const v = video.current!;
    v.srcObject = stream.current;
    await v.play().catch(() => {});
    setRunning(true);
  }

  useEffect(() => {
    if (!running || busy) return;
    let timer = 0;
    const tick = () => {
      const v = video.current;
      if (v && v.readyState >= 2 && v.videoWidth > 0) {
        const text = decode(v, v.videoWidth, v.videoHeight, canvas.current);
        if (text) {
          stop();
          onCode(text);
          return;
        }
      }
      timer = window.setTimeout(tick, 200);
    };
    tick();
    return () => clearTimeout(timer);
  }, [running, busy, onCode, stop]);

  useEffect(() => stop, [stop]);

  return (
    <div style={{ textAlign: 'center' }}>
      <div className="viewfinder" style={{ display: running ? 'block' : 'none' }}>
        <video ref={video} muted playsInline data-testid="camera" />
        <div className="viewfinder-frame" />
      </div>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12, textAlign: 'left' }} />}
      {running ? (
        <Button icon={<StopOutlined />} onClick={stop} block>
          停止扫码
        </Button>
      ) : (
        <Button type="primary" size="large" icon={<CameraOutlined />} onClick={start} block disabled={busy}>
          打开摄像头扫码
        </Button>
      )}
      <p className="muted" style={{ fontSize: 13, marginTop: 8 }}>
        对准持证人手机上的亮证二维码或纸质/电子证照上的二维码
      </p>
    </div>
  );
}

function ImageInput({ onCode }: { onCode: (code: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  async function read(file: File) {
    setError(null);
    try {
      const bitmap = await createImageBitmap(file);
      const text = decode(bitmap, bitmap.width, bitmap.height, document.createElement('canvas'));
      bitmap.close();
      if (text) onCode(text);
      else setError('图片中没有识别到二维码，请换一张清晰的照片');
    } catch {
      setError('无法读取该图片');
    }
  }
  return (
    <div>
      <Upload.Dragger
        accept="image/*"
        showUploadList={false}
        beforeUpload={(file) => {
          void read(file);
          return false;
        }}
      >
        <p style={{ fontSize: 32, margin: 0, color: '#1d4f91' }}>
          <FileImageOutlined />
        </p>
        <p>点击拍照或选择含二维码的图片</p>
      </Upload.Dragger>
      {error && <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} />}
    </div>
  );
}

function TextInput({ onCode, busy }: { onCode: (code: string) => void; busy: boolean }) {
  const [text, setText] = useState('');
  return (
    <div>
      <Input.TextArea
        rows={4}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="粘贴亮证码内容或证照二维码网址"
        data-testid="code-input"
      />
      <Button
        type="primary"
        block
        style={{ marginTop: 10 }}
        disabled={!text.trim() || busy}
        onClick={() => onCode(text.trim())}
      >
        查验
      </Button>
    </div>
  );
}
