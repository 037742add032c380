/** Let the user save bytes as a file (Blob URL + a temporary `<a download>`). */
export function downloadBytes(bytes: Uint8Array, fileName: string, mediaType = 'application/zip'): void {
  // Copy into a fresh ArrayBuffer-backed view: Blob wants ArrayBuffer, not a possibly shared buffer.
  const blob = new Blob([bytes.slice()], { type: mediaType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
