"""The fictional demo commune Vaudrecourt-sur-Aulne, built deterministically in code."""
