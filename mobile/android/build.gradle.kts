// The Android side of the duty trajectory: a foreground service of type location and the
// bridge Rust calls (see ../src/platform/android_location.rs, whose `#[manganis::ffi("android")]`
// names this folder; the Dioxus CLI builds it as a library and merges its manifest into the
// app's). No dependencies beyond the Android SDK.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "cn.zhucun.location"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    kotlinOptions { jvmTarget = "17" }
}
