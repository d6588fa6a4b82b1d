// The console works without JavaScript; this only adds niceties on top.
// An image chosen for upload is shown before the form is sent.
for (const input of document.querySelectorAll('input[type="file"][data-preview]')) {
  const preview = document.getElementById(input.dataset.preview);
  input.addEventListener('change', () => {
    const [file] = input.files;
    if (!preview || !file) return;
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.alt = `The image chosen: ${file.name}`;
    preview.hidden = false;
  });
}
