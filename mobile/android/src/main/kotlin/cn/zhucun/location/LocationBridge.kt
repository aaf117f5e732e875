package cn.zhucun.location

import android.Manifest
import android.app.Activity
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build

/**
 * What Rust calls (zhucun-mobile's platform/android_location.rs): start and stop the duty's
 * foreground location service, and take the events it has queued since the last poll.
 */
class LocationBridge(private val activity: Activity) {

    /**
     * 开始值守: starts the service; 1 when started, 0 (and a permission gap queued) without
     * location permission. An Int: the Rust side's generated call reads no boolean.
     */
    fun start(duty: String, title: String, text: String): Int {
        val wanted = mutableListOf<String>()
        if (!granted(Manifest.permission.ACCESS_FINE_LOCATION)) {
            wanted += Manifest.permission.ACCESS_FINE_LOCATION
            wanted += Manifest.permission.ACCESS_COARSE_LOCATION
        }
        if (Build.VERSION.SDK_INT >= 33 && !granted(Manifest.permission.POST_NOTIFICATIONS)) {
            wanted += Manifest.permission.POST_NOTIFICATIONS
        }
        if (wanted.isNotEmpty()) {
            activity.runOnUiThread { activity.requestPermissions(wanted.toTypedArray(), REQUEST) }
        }
        if (!granted(Manifest.permission.ACCESS_FINE_LOCATION)) {
            LocationService.gap("permission_withdrawn")
            return 0
        }
        val intent = Intent(activity, LocationService::class.java)
            .putExtra(LocationService.DUTY, duty)
            .putExtra(LocationService.TITLE, title)
            .putExtra(LocationService.TEXT, text)
        LocationService.stopping = false
        if (Build.VERSION.SDK_INT >= 26) {
            activity.startForegroundService(intent)
        } else {
            activity.startService(intent)
        }
        return 1
    }

    /** 结束值守: stops the service; no location is taken afterwards. */
    fun stop() {
        LocationService.stopping = true
        activity.stopService(Intent(activity, LocationService::class.java))
    }

    /** The events queued since the last poll, as a JSON array; null when there are none. */
    fun poll(): String? = LocationService.drain()

    /** The phone's maker (Build.MANUFACTURER), for the battery-settings guide. */
    fun manufacturer(): String = Build.MANUFACTURER ?: ""

    private fun granted(permission: String): Boolean =
        activity.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED

    private companion object {
        const val REQUEST = 7301
    }
}
