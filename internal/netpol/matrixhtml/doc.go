// Package matrixhtml draws a reachability matrix (netpol.Matrix) as an
// HTML heat-map: a table whose cells are green where a source may reach a
// destination, with the ports in the cell's tooltip. It uses no script and
// loads nothing. `kguard netpol matrix -o html` writes it as a page of its
// own; the HTML scan report embeds the same figure.
package matrixhtml
